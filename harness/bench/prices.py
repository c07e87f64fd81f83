"""Published prices the benchmark's cost figures use, in one place.

us-east-1, on-demand, without free tiers. Read on 2026-11-22 from stored copies of
aws.amazon.com/step-functions/pricing and aws.amazon.com/lambda/pricing; prices
change, so check them before quoting a figure. SMS and email charges are the same
for every design and are left out.
"""

PRICES_DATE = "2026-11-22"

STANDARD_PER_TRANSITION = 0.025 / 1000  # Standard: $0.025 per 1,000 state transitions, retries included
EXPRESS_PER_REQUEST = 1.00 / 1_000_000  # Express: $1.00 per million requests
EXPRESS_PER_GB_SECOND = 0.00001667  # Express duration, first tier ($0.06 per GB-hour); unverified
EXPRESS_MEMORY_GB = 64 / 1024  # billed in 64 MB chunks; a small workflow fits in one
LAMBDA_PER_REQUEST = 0.20 / 1_000_000  # Lambda: $0.20 per million requests
LAMBDA_PER_GB_SECOND = 0.0000166667  # Lambda duration, x86; unverified
LAMBDA_MEMORY_GB = 128 / 1024  # the smallest common setting

# Durations cannot be measured on an emulator: these are stated assumptions.
# About 100 ms per AWS API call on the critical path, billed in 100 ms steps (Express) or 1 ms (Lambda).
ASSUMED_CALL_SECONDS = 0.1


def standard_cost_per_million(transitions: float) -> float:
    return transitions * STANDARD_PER_TRANSITION * 1_000_000


def express_cost_per_million(sequential_calls: float) -> float:
    billed = max(0.1, round(sequential_calls * ASSUMED_CALL_SECONDS + 0.049, 1))  # rounded up to 100 ms
    return (EXPRESS_PER_REQUEST + billed * EXPRESS_MEMORY_GB * EXPRESS_PER_GB_SECOND) * 1_000_000


def lambda_cost_per_million(invocations: float, busy_seconds: float) -> float:
    """A Lambda design: requests plus every function's run time (waiting included)."""
    return (invocations * LAMBDA_PER_REQUEST + busy_seconds * LAMBDA_MEMORY_GB * LAMBDA_PER_GB_SECOND) * 1_000_000
