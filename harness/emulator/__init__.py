"""The embedded emulator: moto in this process, corrected where the stack needs AWS's answers, made fast, with faults and a Lambda seam."""
