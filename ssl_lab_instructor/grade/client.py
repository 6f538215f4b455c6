"""An nbclient client that keeps a bounded amount of a kernel's output.

A student's kernel may print gigabytes. zmq refuses any single message above
``Limits.message_bytes`` before it is read (see :mod:`.kernel`); here the outputs kept per
notebook stop at ``Limits.output_bytes``, widget messages are ignored, and error outputs
(which decide a test cell's grade) are always kept, shortened.
"""

from __future__ import annotations

import time

import nbformat
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient

OUTPUT_TYPES = {"stream", "display_data", "execute_result", "error", "update_display_data"}
MAX_ERROR_CHARS = 4000
MAX_TRACEBACK_LINES = 60
PROBE_OUTPUT_BYTES = 1024**2


def not_run_output(reason: str) -> nbformat.NotebookNode:
    """An error output that fails a graded cell and tells the student why."""
    return nbformat.v4.new_output("error", ename="NotGraded", evalue=reason,
                                  traceback=[f"NotGraded: {reason}"])


def content_size(content) -> int:
    """Rough size in bytes of a message's content (strings, recursively)."""
    stack, size = [content], 0
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            size += len(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
            size += 8 * len(item)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        else:
            size += 8
    return size


def shorten(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... [{len(text) - limit} characters cut]"


def shorten_error(content: dict) -> dict:
    """An error's name, value and traceback, cut to a readable size."""
    traceback = [shorten(str(line)) for line in content.get("traceback", [])]
    if len(traceback) > MAX_TRACEBACK_LINES:
        traceback = [*traceback[:MAX_TRACEBACK_LINES // 2], "... traceback cut ...",
                     *traceback[-MAX_TRACEBACK_LINES // 2:]]
    return {"ename": shorten(str(content.get("ename", "Error")), 200),
            "evalue": shorten(str(content.get("evalue", ""))), "traceback": traceback}


class CappedClient(NotebookClient):
    """Executes cells like nbclient, keeping at most ``output_limit`` bytes of outputs.

    After each cell, :attr:`replies` holds the status of its execute_reply
    (``"ok"``/``"error"``), as nbgrader's ``Execute`` preprocessor reads it.
    """

    def __init__(self, notebook: nbformat.NotebookNode, output_limit: int, **kwargs) -> None:
        super().__init__(notebook, **kwargs)
        self.output_limit = output_limit
        self.kept_bytes = 0
        self.truncated_cells: set[int] = set()
        self.replies: dict[int, str] = {}
        self.uncapped = False  # set while the grader's own probe cells run
        self.timed_out = False  # set when a cell ran past the time limit (it was interrupted)
        self.saw_idle = False  # the kernel's "idle" for the last cell arrived on iopub
        self.on_cell_executed = self._record_reply
        self.watched: set[int] = set()  # cells whose later replies and errors are watched (test cells)
        self.finished: dict[str, int] = {}  # request id of a watched cell that got its reply -> cell
        self.late: dict[int, str] = {}  # watched cell -> what the kernel sent for it after its reply

    def watch_channels(self) -> None:
        """See every message the client reads, to catch replies and errors sent too late."""
        for channel in (self.kc.shell_channel, self.kc.iopub_channel):
            if getattr(channel, "_watched", False):
                continue
            original = channel.get_msg

            async def get_msg(*args, _original=original, **kwargs):
                msg = await ensure_async(_original(*args, **kwargs))
                self._observe(msg)
                return msg

            channel.get_msg, channel._watched = get_msg, True

    def _observe(self, msg: dict) -> None:
        """A reply or an error for a test cell that already got its reply voids that cell."""
        parent = (msg.get("parent_header") or {}).get("msg_id")
        index = self.finished.get(parent) if isinstance(parent, str) else None
        kind = msg.get("msg_type") or msg.get("header", {}).get("msg_type")
        if index is not None and kind in ("execute_reply", "error"):
            self.late.setdefault(index, f"the kernel sent another {kind} for this cell after its reply")

    def process_message(self, msg: dict, cell: nbformat.NotebookNode, cell_index: int):
        msg_type = msg["msg_type"]
        if msg_type == "status" and msg["content"].get("execution_state") == "idle":
            self.saw_idle = True
        if msg_type.startswith("comm_"):
            return None  # widgets are not graded; their state could grow without bound
        if self.uncapped and msg_type in OUTPUT_TYPES - {"error"}:
            # a probe's answer is one short line; anything else printed meanwhile is dropped
            if msg_type != "stream" or content_size(msg["content"]) > PROBE_OUTPUT_BYTES:
                return None
        if msg_type == "error":
            msg = {**msg, "content": {**msg["content"], **shorten_error(msg["content"])}}
        elif msg_type in OUTPUT_TYPES and not self.uncapped:
            size = content_size(msg["content"])
            if self.kept_bytes + size > self.output_limit:
                self.truncated_cells.add(cell_index)
                return None
            self.kept_bytes += size
        return super().process_message(msg, cell, cell_index)

    def reconnect_iopub(self) -> None:
        """A new iopub connection to the kernel.

        zmq drops a connection that brings a message above MAXMSGSIZE and does not make it
        again; without this, every later output of the notebook would be lost.
        """
        self.kc.iopub_channel.close()
        self.kc._iopub_channel = None
        self.kc.iopub_channel  # noqa: B018 (the property connects a new socket)
        self.watch_channels()
        time.sleep(0.5)  # the new subscription must reach the kernel before it publishes

    async def _async_handle_timeout(self, timeout: int, cell: nbformat.NotebookNode | None = None):
        self.timed_out = True
        return await super()._async_handle_timeout(timeout, cell)

    def _record_reply(self, cell: nbformat.NotebookNode, cell_index: int, execute_reply: dict) -> None:
        """Like nbgrader's Execute: an error reply without an error output still fails the cell."""
        content = execute_reply["content"]
        self.replies[cell_index] = content["status"]
        parent = (execute_reply.get("parent_header") or {}).get("msg_id")
        if cell_index in self.watched and not self.uncapped and isinstance(parent, str):
            self.finished[parent] = cell_index
        if content["status"] != "error":
            return
        if any(o.output_type == "error" and o.get("ename") == content.get("ename") for o in cell.outputs):
            return
        error = shorten_error(content)
        if not error["traceback"]:
            error["traceback"] = [f"{error['ename']}: {error['evalue']}"]
        cell.outputs.append(nbformat.v4.new_output("error", **error))
