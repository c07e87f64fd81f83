"""Execution reports: the state machine drawn as the Step Functions console draws
it, with the path an execution took, its retries and its failure highlighted.

A report is one self-contained HTML page (inline SVG, no scripts, no external
files), so it opens anywhere and can be attached to a CI run. Graphviz (`dot`)
does the layout.
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from harness.observe.observer import Execution

VISITED = "#d8f0dc"
RETRIED = "#fde7c2"
FAILED = "#f8d0d0"
UNVISITED_TEXT = "#9a9a9a"
TAKEN_EDGE = "#2e7d32"


class GraphvizMissing(RuntimeError):
    """`dot` is not installed (Debian/Ubuntu: apt-get install graphviz)."""


def _node_id(name: str) -> str:
    return json.dumps(name)  # a quoted DOT identifier


def _task_label(state: dict) -> str:
    resource = state.get("Resource", "")
    return resource.removeprefix("arn:aws:states:::").removeprefix("aws-sdk:") if resource else ""


class _Graph:
    def __init__(self, definition: dict, execution: Execution) -> None:
        self.definition = definition
        self.execution = execution
        self.visited = set(execution.path)
        self.failed_states = self._failed_states()
        self.lines: list[str] = []
        self._pending: dict[tuple[str, str, str], dict] = {}
        self.transitions = execution.transitions

    def _failed_states(self) -> set[str]:
        failed = {name for name in self.visited if self._state(name).get("Type") == "Fail"}
        if self.execution.status in ("FAILED", "TIMED_OUT", "ABORTED") and self.execution.path:
            failed.add(self.execution.path[-1])
        return failed

    def _state(self, name: str, scope: dict | None = None) -> dict:
        for candidate_scope in self._scopes(scope or self.definition):
            if name in candidate_scope.get("States", {}):
                return candidate_scope["States"][name]
        return {}

    def _scopes(self, scope: dict) -> Iterator[dict]:
        yield scope
        for state in scope.get("States", {}).values():
            for branch in state.get("Branches", []):
                yield from self._scopes(branch)

    def dot(self) -> str:
        self.lines = [
            "digraph execution {",
            '  graph [rankdir=TB, fontname="Helvetica", fontsize=11, nodesep=0.25, ranksep=0.3];',
            '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="Helvetica", fontsize=10, color="#888888"];',
            '  edge [fontname="Helvetica", fontsize=8, color="#bbbbbb", arrowsize=0.6];',
            '  "__start" [label="Start", shape=circle, fillcolor="#eeeeee", fontsize=8, width=0.4];',
        ]
        self._scope(self.definition, indent="  ")
        self._flush_edges("  ")  # outside every cluster, or DOT pulls their nodes in
        self.lines.append(f'  "__start" -> {_node_id(self.definition["StartAt"])} [color="{TAKEN_EDGE}", penwidth=2];')
        self.lines.append("}")
        return "\n".join(self.lines)

    def _scope(self, scope: dict, indent: str) -> None:
        for name, state in scope["States"].items():
            self._node(name, state, indent)
            for index, branch in enumerate(state.get("Branches", [])):
                self.lines.append(f'{indent}subgraph "cluster_{name}_{index}" {{')
                self.lines.append(
                    f'{indent}  label="{name} · branch {index + 1}"; style="rounded,dashed"; color="#aaaaaa";'
                )
                self._scope(branch, indent + "  ")
                self.lines.append(f"{indent}}}")
                self._edge(name, branch["StartAt"], "", indent)
                for end_name, end_state in branch["States"].items():
                    if end_state.get("End") and "Next" in state:
                        ended_here = end_name in self.visited and not self._caught(end_name, end_state)
                        self._edge(
                            end_name,
                            state["Next"],
                            "",
                            indent,
                            style="dotted",
                            taken=ended_here and state["Next"] in self.visited,
                        )
            self._transitions(name, state, indent)

    def _node(self, name: str, state: dict, indent: str) -> None:
        attempts = self.execution.attempts(name) if state.get("Type") == "Task" and name in self.visited else 0
        detail = _task_label(state) if state.get("Type") == "Task" else state.get("Type", "").lower()
        label = f"{name}\\n{detail}"
        fill, font = "white", UNVISITED_TEXT
        if name in self.visited:
            fill, font = VISITED, "black"
        if attempts > 1:
            fill = RETRIED
            label += f"\\n↻ {attempts} attempts"
        if name in self.failed_states:
            fill = FAILED
            if state.get("Type") == "Fail":
                label += f"\\n{state.get('Error', '')}"
        elif self._caught(name, state):  # failed, and a Catch moved on: still a failure
            fill = FAILED
            label += f"\\n✗ {self.execution.task_failures(name)[-1]}"
        shape = "diamond" if state.get("Type") == "Choice" else "box"
        if state.get("Type") in ("Succeed", "Fail"):
            shape = "octagon"
        penwidth = 2 if name in self.visited else 1
        self.lines.append(
            f'{indent}{_node_id(name)} [label="{label}", shape={shape}, fillcolor="{fill}", '
            f'fontcolor="{font}", penwidth={penwidth}];'
        )

    def _transitions(self, name: str, state: dict, indent: str) -> None:
        caught = self._caught(name, state)
        if "Next" in state and state.get("Type") != "Parallel":  # a Parallel's Next is drawn from its branch ends
            self._edge(name, state["Next"], "", indent, taken=self._followed(name, state["Next"]) and not caught)
        for index, choice in enumerate(state.get("Choices", [])):
            self._edge(name, choice["Next"], f"rule {index + 1}", indent)
        if "Default" in state:
            self._edge(name, state["Default"], "default", indent)
        for catcher in state.get("Catch", []):
            errors = ", ".join(catcher["ErrorEquals"])
            self._edge(
                name,
                catcher["Next"],
                f"catch {errors}",
                indent,
                style="dashed",
                taken=caught and self._followed(name, catcher["Next"]),
            )

    def _caught(self, name: str, state: dict) -> bool:
        """The state ended in an error that a Catch handled (every attempt failed)."""
        if name not in self.visited or not state.get("Catch"):
            return False
        if state.get("Type") == "Task":
            attempts = self.execution.attempts(name)
            return attempts > 0 and len(self.execution.task_failures(name)) == attempts
        return False

    def _followed(self, source: str, target: str) -> bool:
        return (source, target) in self.transitions

    def _edge(
        self, source: str, target: str, label: str, indent: str, style: str = "solid", taken: bool | None = None
    ) -> None:
        """Queue an edge; edges with the same ends and style are merged (rule 1, rule 2)."""
        key = (source, target, style)
        entry = self._pending.setdefault(key, {"labels": [], "taken": False})
        if label:
            entry["labels"].append(label)
        entry["taken"] |= self._followed(source, target) if taken is None else taken

    def _flush_edges(self, indent: str) -> None:
        for (source, target, style), entry in self._pending.items():
            attributes = [f'label="{html.escape(", ".join(entry["labels"])[:60])}"', f"style={style}"]
            if entry["taken"]:
                attributes += [f'color="{TAKEN_EDGE}"', "penwidth=2"]
            self.lines.append(f"{indent}{_node_id(source)} -> {_node_id(target)} [{', '.join(attributes)}];")
        self._pending = {}


def render_svg(definition: dict, execution: Execution) -> str:
    if shutil.which("dot") is None:
        raise GraphvizMissing("graphviz's `dot` is not installed (apt-get install graphviz)")
    result = subprocess.run(
        ["dot", "-Tsvg"],
        input=_Graph(definition, execution).dot(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    svg = result.stdout
    return svg[svg.index("<svg") :]


def _timeline(execution: Execution) -> str:
    rows = []
    for event in execution.history:
        details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
        what = details.get("name") or details.get("resource") or ""
        problem = " ".join(filter(None, [details.get("error"), details.get("cause")]))
        timestamp = event["timestamp"]
        stamp = timestamp.strftime("%H:%M:%S.%f")[:-3] if hasattr(timestamp, "strftime") else str(timestamp)
        rows.append(
            f"<tr><td>{event['id']}</td><td>{stamp}</td><td>{html.escape(event['type'])}</td>"
            f"<td>{html.escape(str(what))}</td><td class='err'>{html.escape(problem[:300])}</td></tr>"
        )
    return "\n".join(rows)


def render_html(definition: dict, execution: Execution, title: str | None = None) -> str:
    status_colour = {"SUCCEEDED": "#2e7d32", "FAILED": "#c62828"}.get(execution.status, "#555555")
    heading = html.escape(title or execution.arn.rsplit(":", 1)[-1])
    error = f" · {html.escape(execution.error)}" if execution.error else ""
    cause = f"<p class='cause'>{html.escape(execution.cause)}</p>" if execution.cause else ""
    output = html.escape(json.dumps(execution.output, indent=2)) if execution.output is not None else "–"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{heading}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 24px; color: #222; }}
h1 {{ font-size: 18px; margin: 0 0 4px; }} .status {{ color: {status_colour}; font-weight: bold; }}
.cause {{ color: #c62828; }} .legend span {{ display: inline-block; padding: 2px 8px; margin-right: 6px; border: 1px solid #999; border-radius: 4px; font-size: 12px; }}
.graph {{ margin: 16px 0; }} table {{ border-collapse: collapse; font-size: 12px; }}
td, th {{ border-bottom: 1px solid #eee; padding: 2px 8px; text-align: left; }} td.err {{ color: #c62828; }}
pre {{ background: #f6f6f6; padding: 8px; font-size: 12px; }}
</style></head><body>
<h1>{heading}</h1>
<p><span class="status">{execution.status}{error}</span> · <code>{html.escape(execution.arn)}</code></p>
{cause}
<p class="legend"><span style="background:{VISITED}">visited</span><span style="background:{RETRIED}">retried</span><span style="background:{FAILED}">failed (✗: caught)</span><span>not visited</span> · bold green arrows: transitions taken · dashed: Catch</p>
<div class="graph">{render_svg(definition, execution)}</div>
<h2>Input</h2><pre>{html.escape(json.dumps(execution.input, indent=2))}</pre>
<h2>Output</h2><pre>{output}</pre>
<h2>History</h2><table><tr><th>#</th><th>time</th><th>event</th><th>state / resource</th><th>error</th></tr>
{_timeline(execution)}
</table></body></html>
"""


def write_report(definition: dict, execution: Execution, path: Path, title: str | None = None) -> Path:
    """The HTML page at `path`, and the picture alone beside it (.svg) for documents."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(definition, execution, title))
    path.with_suffix(".svg").write_text(render_svg(definition, execution))
    return path


def picture(observer, execution: Execution, path: Path, title: str | None = None) -> str:
    """Write the execution's report to `path` and say where; or say why there is none."""
    try:
        return str(write_report(observer.definition_of(execution.arn), execution, path, title))
    except GraphvizMissing as missing:
        return f"(none: {missing})"


def report_executions(observer, arns: list[str], folder: Path, prefix: str) -> list[Path]:
    """One report per execution, named <prefix>-<n>.html; returns the paths written."""
    written = []
    for index, arn in enumerate(arns, 1):
        execution = observer.execution(arn)
        suffix = f"-{index}" if len(arns) > 1 else ""
        written.append(write_report(observer.definition_of(arn), execution, folder / f"{prefix}{suffix}.html", prefix))
    return written
