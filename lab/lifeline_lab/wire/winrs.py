"""Windows Remote Shell over WS-Management: shells, commands, streams (MS-WSMV 3.1.4.x).

Operation shapes follow real Windows traces (shared/reference/winrm-wire.md, "Operations").
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from . import soap
from .soap import NS_SHELL, Fault, Request, q

CMD_SHELL_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
STATE_DONE = f"{NS_SHELL}/CommandState/Done"
STATE_RUNNING = f"{NS_SHELL}/CommandState/Running"
SIGNAL_TERMINATE = f"{NS_SHELL}/signal/terminate"
# Answer a long poll a little before the client's OperationTimeout so it sees our fault, not its own timeout.
POLL_MARGIN_SECONDS = 0.5
# Raw output per Receive; base64 and the envelope keep the answer well under MaxEnvelopeSize (153600).
MAX_OUTPUT_PER_RECEIVE = 64 * 1024

# run(command_line, environment, stdin, write_stdout, write_stderr) -> exit code
Launcher = Callable[
    [str, dict[str, str], asyncio.StreamReader, Callable[[str], None], Callable[[str], None]], Awaitable[int]
]


@dataclass
class Command:
    id: str
    codepage: int
    stdin: asyncio.StreamReader = field(default_factory=asyncio.StreamReader)
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    exit_code: int | None = None
    task: asyncio.Task | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def write(self, buffer: bytearray, text: str) -> None:
        buffer.extend(encode_for_codepage(text, self.codepage))
        self.changed.set()

    def finish(self, exit_code: int) -> None:
        self.exit_code = exit_code
        self.changed.set()

    def kill(self) -> None:
        if self.task and not self.task.done():
            self.task.cancel()


@dataclass
class Shell:
    id: str
    owner: str
    client_ip: str
    codepage: int
    environment: dict[str, str]
    working_directory: str
    commands: dict[str, Command] = field(default_factory=dict)
    last_used: float = field(default_factory=time.monotonic)

    def close(self) -> None:
        for command in self.commands.values():
            command.kill()
        self.commands.clear()


def encode_for_codepage(text: str, codepage: int) -> bytes:
    """Console output bytes in the shell's code page (65001 = UTF-8, Ansible; 437 = pywinrm's default)."""
    encoding = "utf-8" if codepage == 65001 else f"cp{codepage}"
    try:
        return text.encode(encoding, errors="replace")
    except LookupError:
        return text.encode("utf-8", errors="replace")


class WinRS:
    """The WinRS plug-in of one host: its shells and what runs in them."""

    def __init__(self, computer_name: str, endpoint_url: str, launcher: Launcher, counters: dict[str, int]) -> None:
        self.computer_name = computer_name
        self.endpoint_url = endpoint_url
        self.launcher = launcher
        self.counters = counters
        self.shells: dict[str, Shell] = {}

    async def handle(self, request: Request, user: str, client_ip: str) -> tuple[bytes, bool]:
        """Answer one WinRS request: (envelope, is_fault)."""
        handlers = {
            soap.ACTION_CREATE: self._create,
            soap.ACTION_COMMAND: self._command,
            soap.ACTION_SEND: self._send,
            soap.ACTION_RECEIVE: self._receive,
            soap.ACTION_SIGNAL: self._signal,
            soap.ACTION_DELETE: self._delete,
        }
        handler = handlers.get(request.action)
        try:
            if handler is None:
                raise _FaultRaised(soap.action_not_supported_fault(request.action))
            if request.resource_uri and request.resource_uri != CMD_SHELL_URI:
                raise _FaultRaised(
                    soap.schema_fault(f"The lab serves the WinRS cmd shell only, not {request.resource_uri}.")
                )
            action, body = await handler(request, user, client_ip)
            return soap.envelope(action, request.message_id, body), False
        except _FaultRaised as raised:
            self.counters["faults"] += 1
            return raised.fault.to_xml(request.message_id, self.computer_name), True

    # --- operations -------------------------------------------------------------------------

    async def _create(self, request: Request, user: str, client_ip: str) -> tuple[str, str]:
        if request.body is None or request.body.tag != q(NS_SHELL, "Shell"):
            raise _FaultRaised(soap.schema_fault("Create needs an rsp:Shell body."))
        codepage_text = request.options.get("WINRS_CODEPAGE", "437")
        codepage = int(codepage_text) if codepage_text.isdigit() else 437
        environment = {
            var.get("Name", ""): var.text or "" for var in request.body.iter(q(NS_SHELL, "Variable")) if var.get("Name")
        }
        working_directory = (request.body.findtext(q(NS_SHELL, "WorkingDirectory")) or "").strip()
        shell = Shell(str(uuid.uuid4()).upper(), user, client_ip, codepage, environment, working_directory)
        self.shells[shell.id] = shell
        self.counters["shells"] += 1
        body = (
            f"<x:ResourceCreated><a:Address>{escape(self.endpoint_url)}</a:Address><a:ReferenceParameters>"
            f"<w:ResourceURI>{CMD_SHELL_URI}</w:ResourceURI><w:SelectorSet>"
            f'<w:Selector Name="ShellId">{shell.id}</w:Selector></w:SelectorSet></a:ReferenceParameters>'
            f"</x:ResourceCreated>"
            f'<rsp:Shell xmlns:rsp="{NS_SHELL}"><rsp:ShellId>{shell.id}</rsp:ShellId>'
            f"<rsp:ResourceUri>{CMD_SHELL_URI}</rsp:ResourceUri><rsp:Owner>{escape(user)}</rsp:Owner>"
            f"<rsp:ClientIP>{escape(client_ip)}</rsp:ClientIP><rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut>"
            f"<rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams>"
            f"<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity>"
            f"</rsp:Shell>"
        )
        return f"{soap.ACTION_CREATE}Response", body

    async def _command(self, request: Request, user: str, client_ip: str) -> tuple[str, str]:
        shell = self._shell(request, user)
        if request.body is None or request.body.tag != q(NS_SHELL, "CommandLine"):
            raise _FaultRaised(soap.schema_fault("Command needs an rsp:CommandLine body."))
        program = (request.body.findtext(q(NS_SHELL, "Command")) or "").strip()
        arguments = [arg.text or "" for arg in request.body.findall(q(NS_SHELL, "Arguments"))]
        if not program:
            raise _FaultRaised(soap.schema_fault("The command line is empty."))
        command = Command(str(uuid.uuid4()).upper(), shell.codepage)
        if request.options.get("WINRS_CONSOLEMODE_STDIN", "TRUE").upper() == "TRUE":
            command.stdin.feed_eof()  # console-mode stdin: the client will not send any input
        shell.commands[command.id] = command
        self.counters["commands"] += 1
        command_line = " ".join([program, *arguments])
        command.task = asyncio.create_task(self._run(command, command_line, shell))
        body = f"<rsp:CommandResponse><rsp:CommandId>{command.id}</rsp:CommandId></rsp:CommandResponse>"
        return f"{soap.ACTION_COMMAND}Response", body

    async def _run(self, command: Command, command_line: str, shell: Shell) -> None:
        try:
            exit_code = await self.launcher(
                command_line,
                shell.environment,
                shell.working_directory,
                command.stdin,
                lambda text: command.write(command.stdout, text),
                lambda text: command.write(command.stderr, text),
            )
        except asyncio.CancelledError:
            command.finish(0xC000013A)  # STATUS_CONTROL_C_EXIT, what a terminated console process reports
            raise
        except Exception as exc:  # a lab bug must surface as a failed process, never a hung Receive
            command.write(command.stderr, f"lifeline-lab internal error: {type(exc).__name__}: {exc}\r\n")
            exit_code = 1
        command.finish(exit_code)

    async def _send(self, request: Request, user: str, client_ip: str) -> tuple[str, str]:
        shell = self._shell(request, user)
        if request.body is None or request.body.tag != q(NS_SHELL, "Send"):
            raise _FaultRaised(soap.schema_fault("Send needs an rsp:Send body."))
        for stream in request.body.findall(q(NS_SHELL, "Stream")):
            command = self._command_of(shell, stream.get("CommandId", ""))
            if stream.get("Name", "stdin") != "stdin":
                raise _FaultRaised(soap.schema_fault("Only the stdin stream accepts input."))
            try:
                data = base64.b64decode(stream.text or "", validate=True)
            except binascii.Error:
                raise _FaultRaised(soap.schema_fault("The stdin stream is not valid base64.")) from None
            if command.stdin.at_eof():
                continue  # input after the end of stdin is dropped, as a closed pipe would
            if data:
                command.stdin.feed_data(data)
            if stream.get("End", "false").lower() == "true":
                command.stdin.feed_eof()
        return f"{soap.ACTION_SEND}Response", "<rsp:SendResponse/>"

    async def _receive(self, request: Request, user: str, client_ip: str) -> tuple[str, str]:
        shell = self._shell(request, user)
        desired = request.body.find(q(NS_SHELL, "DesiredStream")) if request.body is not None else None
        if desired is None:
            raise _FaultRaised(soap.schema_fault("Receive needs an rsp:DesiredStream."))
        command = self._command_of(shell, desired.get("CommandId", ""))
        deadline = time.monotonic() + max(request.operation_timeout - POLL_MARGIN_SECONDS, 0.1)
        while not (command.stdout or command.stderr or command.exit_code is not None):
            command.changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _FaultRaised(soap.timed_out_fault())
            try:
                await asyncio.wait_for(command.changed.wait(), remaining)
            except TimeoutError:
                raise _FaultRaised(soap.timed_out_fault()) from None
            shell.last_used = time.monotonic()
        budget = min(MAX_OUTPUT_PER_RECEIVE, max(1024, (request.max_envelope_size - 4096) * 3 // 4 // 2))
        parts = []
        for name, buffer in (("stdout", command.stdout), ("stderr", command.stderr)):
            if buffer:
                chunk = bytes(buffer[:budget])
                del buffer[: len(chunk)]
                encoded = base64.b64encode(chunk).decode("ascii")
                parts.append(f'<rsp:Stream Name="{name}" CommandId="{command.id}">{encoded}</rsp:Stream>')
        finished = command.exit_code is not None and not command.stdout and not command.stderr
        if finished:
            parts.append(f'<rsp:Stream Name="stdout" CommandId="{command.id}" End="true"></rsp:Stream>')
            parts.append(f'<rsp:Stream Name="stderr" CommandId="{command.id}" End="true"></rsp:Stream>')
            parts.append(
                f'<rsp:CommandState CommandId="{command.id}" State="{STATE_DONE}">'
                f"<rsp:ExitCode>{command.exit_code}</rsp:ExitCode></rsp:CommandState>"
            )
        else:
            parts.append(f'<rsp:CommandState CommandId="{command.id}" State="{STATE_RUNNING}"/>')
        body = f"<rsp:ReceiveResponse>{''.join(parts)}</rsp:ReceiveResponse>"
        return f"{soap.ACTION_RECEIVE}Response", body

    async def _signal(self, request: Request, user: str, client_ip: str) -> tuple[str, str]:
        shell = self._shell(request, user)
        if request.body is None or request.body.tag != q(NS_SHELL, "Signal"):
            raise _FaultRaised(soap.schema_fault("Signal needs an rsp:Signal body."))
        command = self._command_of(shell, request.body.get("CommandId", ""))
        code = (request.body.findtext(q(NS_SHELL, "Code")) or "").strip()
        # terminate, ctrl_c and ctrl_break all end a console process here; terminate also frees the command.
        command.kill()
        if code == SIGNAL_TERMINATE or command.exit_code is not None:
            shell.commands.pop(command.id, None)
        return f"{soap.ACTION_SIGNAL}Response", "<rsp:SignalResponse/>"

    async def _delete(self, request: Request, user: str, client_ip: str) -> tuple[str, str]:
        shell = self._shell(request, user)
        shell.close()
        del self.shells[shell.id]
        return f"{soap.ACTION_DELETE}Response", ""

    # --- lookups and housekeeping -------------------------------------------------------------

    def _shell(self, request: Request, user: str) -> Shell:
        shell = self.shells.get(request.selectors.get("ShellId", "").upper())
        if shell is None or shell.owner.lower() != user.lower():
            raise _FaultRaised(soap.invalid_selectors_fault())
        shell.last_used = time.monotonic()
        return shell

    @staticmethod
    def _command_of(shell: Shell, command_id: str) -> Command:
        command = shell.commands.get(command_id.upper())
        if command is None:
            raise _FaultRaised(soap.invalid_selectors_fault())
        return command

    def collect_idle(self, idle_seconds: float) -> int:
        """Close shells nobody used for idle_seconds (Ansible's reset() abandons shells without Delete)."""
        cutoff = time.monotonic() - idle_seconds
        idle = [shell_id for shell_id, shell in self.shells.items() if shell.last_used < cutoff]
        for shell_id in idle:
            self.shells.pop(shell_id).close()
        return len(idle)

    def close_all(self) -> None:
        for shell in self.shells.values():
            shell.close()
        self.shells.clear()


class _FaultRaised(Exception):
    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.reason)
        self.fault = fault
