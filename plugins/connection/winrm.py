# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The options below are ansible.builtin.winrm's (ansible-core 2.19, GPLv3+), restated because a connection plugin
# must document every option it reads; only the description and the class's session keeping are Lifeline's.
from __future__ import annotations

DOCUMENTATION = r"""
    author: Lifeline maintainers (@lifeline)
    name: winrm
    short_description: ansible.builtin.winrm with one session and shell per host for the whole run
    description:
        - ansible.builtin.winrm (same options, same host variables, same sealing and certificate validation), except
          that a host's authenticated session and shell are kept from one task to the next instead of being
          opened and closed in every task.
        - The first task on a host starts a small keeper process (forked from its worker) that holds the session;
          later tasks send their commands to it over a Unix socket in a directory only this user can enter.
          It ends with the ansible-playbook run, or after a minute without a command.
        - A session idle for a minute is renewed before the next command; a failed command drops it, and a
          connection reset (a restart) drops it too. Commands are never retried.
        - Only commands go through the kept session; put_file and fetch_file use a connection of their own.
    version_added: "0.1.0"
    extends_documentation_fragment:
        - connection_pipelining
    requirements:
        - pywinrm (python library)
    options:
      # figure out more elegant 'delegation'
      remote_addr:
        description:
            - Address of the windows machine
        default: inventory_hostname
        vars:
            - name: inventory_hostname
            - name: ansible_host
            - name: ansible_winrm_host
        type: str
      remote_user:
        description:
            - The user to log in as to the Windows machine
            - If O(transport) is not defined, the authentication used will be V(kerberos) if the user is in
              the UPN format V(user@domain), otherwise it will be V(basic)
        vars:
            - name: ansible_user
            - name: ansible_winrm_user
        keyword:
            - name: remote_user
        type: str
      remote_password:
        description: Authentication password for the O(remote_user). Can be supplied as CLI option.
        vars:
            - name: ansible_password
            - name: ansible_winrm_pass
            - name: ansible_winrm_password
        type: str
        aliases:
        - password  # Needed for --ask-pass to come through on delegation
      port:
        description:
            - port for winrm to connect on remote target
            - The default is the https (5986) port, if using http it should be 5985
        vars:
          - name: ansible_port
          - name: ansible_winrm_port
        default: 5986
        keyword:
            - name: port
        type: integer
      scheme:
        description:
            - URI scheme to use
            - If not set, then will default to V(https) or V(http) if O(port) is
              V(5985).
        choices: [http, https]
        vars:
          - name: ansible_winrm_scheme
        type: str
      path:
        description: URI path to connect to
        default: '/wsman'
        vars:
          - name: ansible_winrm_path
        type: str
      transport:
        description:
           - List of winrm transports to attempt to use (ssl, plaintext, kerberos, etc)
           - If None (the default) the plugin will try to automatically guess the correct list. It will use
             V(kerberos) if the username looks like a UPN V(user@domain), otherwise it will use V(basic).
           - The choices available depend on your version of pywinrm
        type: list
        elements: string
        vars:
          - name: ansible_winrm_transport
      kerberos_command:
        description: kerberos command to use to request a authentication ticket
        default: kinit
        vars:
          - name: ansible_winrm_kinit_cmd
        type: str
      kinit_args:
        description:
        - Extra arguments to pass to C(kinit) when getting the Kerberos authentication ticket.
        - By default no extra arguments are passed into C(kinit) unless I(ansible_winrm_kerberos_delegation) is also
          set. In that case C(-f) is added to the C(kinit) args so a forwardable ticket is retrieved.
        - If set, the args will overwrite any existing defaults for C(kinit), including C(-f) for a delegated ticket.
        type: str
        vars:
          - name: ansible_winrm_kinit_args
      kinit_env_vars:
        description:
        - A list of environment variables to pass through to C(kinit) when getting the Kerberos authentication ticket.
        - By default no environment variables are passed through and C(kinit) is run with a blank slate.
        - The environment variable C(KRB5CCNAME) cannot be specified here as it's used to store the temp Kerberos
          ticket used by WinRM.
        type: list
        elements: str
        default: []
        ini:
        - section: winrm
          key: kinit_env_vars
        vars:
          - name: ansible_winrm_kinit_env_vars
      kerberos_mode:
        description:
            - kerberos usage mode.
            - The managed option means Ansible will obtain kerberos ticket.
            - While the manual one means a ticket must already have been obtained by the user.
        choices: [managed, manual]
        vars:
          - name: ansible_winrm_kinit_mode
        type: str
      connection_timeout:
        description:
            - Despite its name, sets both the 'operation' and 'read' timeout settings for the WinRM
              connection.
            - The operation timeout belongs to the WS-Man layer and runs on the winRM-service on the
              managed windows host.
            - The read timeout belongs to the underlying python Request call (http-layer) and runs
              on the ansible controller.
            - The operation timeout sets the WS-Man 'Operation timeout' that runs on the managed
              windows host. The operation timeout specifies how long a command will run on the
              winRM-service before it sends the message 'WinRMOperationTimeoutError' back to the
              client. The client (silently) ignores this message and starts a new instance of the
              operation timeout, waiting for the command to finish (long running commands).
            - The read timeout sets the client HTTP-request timeout and specifies how long the
              client (ansible controller) will wait for data from the server to come back over
              the HTTP-connection (timeout for waiting for in-between messages from the server).
              When this timer expires, an exception will be thrown and the ansible connection
              will be terminated with the error message 'Read timed out'
            - To avoid the above exception to be thrown, the read timeout will be set to 10
              seconds higher than the WS-Man operation timeout, thus make the connection more
              robust on networks with long latency and/or many hops between server and client
              network wise.
            - Setting the difference between the operation and the read timeout to 10 seconds
              aligns it to the defaults used in the winrm-module and the PSRP-module which also
              uses 10 seconds (30 seconds for read timeout and 20 seconds for operation timeout)
            - Corresponds to the C(operation_timeout_sec) and
              C(read_timeout_sec) args in pywinrm so avoid setting these vars
              with this one.
            - The default value is whatever is set in the installed version of
              pywinrm.
        vars:
          - name: ansible_winrm_connection_timeout
        type: int
"""

EXAMPLES = r"""
# In the fleet inventory's configuration (plugin lifeline.recovery.fleet): every other winrm setting stays as it
# is. (As an extra var, -e ansible_connection=..., it would also take over the tasks delegated to the controller.)
winrm_connection: lifeline.recovery.winrm
"""

import os
import signal
import time

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.plugins.connection.winrm import Connection as WinRMConnection
from ansible.utils.display import Display

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _winrm_session as keeper

display = Display()

# The options that name the session; the password is left out of the name on purpose.
_IDENTITY = ("remote_addr", "port", "scheme", "remote_user", "transport", "path")


class Connection(WinRMConnection):
    """ansible.builtin.winrm whose commands run in a session kept per host by a keeper process."""

    transport = "lifeline.recovery.winrm"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._keeper_path: str | None = None
        self._in_keeper = False
        self._session_used = 0.0

    # The worker's side -------------------------------------------------------------------------------
    def _keeper(self) -> str:
        if self._keeper_path is None:
            identity = [self.get_option(name) for name in _IDENTITY]
            extras = self.get_option("_extras") or {}  # ansible_winrm_* settings: sealing, certificates
            identity += sorted(f"{key}={value}" for key, value in extras.items() if "pass" not in key.lower())
            self._keeper_path = keeper.socket_path(os.getppid(), *identity)
        return self._keeper_path

    def _connect(self) -> Connection:
        if self._in_keeper:
            return super()._connect()
        self._connected = True  # the keeper authenticates, at the first command
        return self

    def exec_command(self, cmd: str, in_data: bytes | None = None, sudoable: bool = True) -> tuple[int, bytes, bytes]:
        if self._in_keeper:
            return super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        display.vvv("EXEC (in the kept WinRM session)", host=self.get_option("remote_addr"))
        request = {"op": "exec", "cmd": cmd, "stdin": keeper.to_text(in_data), **self._settings()}
        return self._ask(request, start=True)

    def reset(self) -> None:
        """Drop the kept session (a restart began, or the caller wants a fresh one): the next command
        authenticates again. The connection timeout set on this task is the next session's."""
        if self._in_keeper:
            return super().reset()
        try:
            self._ask({"op": "reset", **self._settings()}, start=False)
        except (FileNotFoundError, ConnectionRefusedError):
            pass  # no keeper: nothing is kept

    def close(self) -> None:
        """The end of a task: the session stays with the keeper for the next task."""
        if self._in_keeper:
            return super().close()
        self._connected = False

    def _settings(self) -> dict:
        """What a task may set on its connection that the kept session must follow (win_recovery_reboot's
        connect_timeout): the kept session takes its timeouts for the next requests (``_follow_timeout``)."""
        return {"connection_timeout": self.get_option("connection_timeout")}

    def _ask(self, request: dict, start: bool):
        try:
            answer = keeper.call(self._keeper(), request, start=self._start_keeper if start else None)
            return keeper.decode_result(answer) if request["op"] == "exec" else None
        except keeper.KeeperError as error:
            if error.kind == "AnsibleConnectionFailure":
                raise AnsibleConnectionFailure(error.message) from None
            raise AnsibleError(f"WinRM ({error.kind}): {error.message}") from None
        except OSError as error:
            if isinstance(error, FileNotFoundError | ConnectionRefusedError) and not start:
                raise
            raise AnsibleConnectionFailure(f"the WinRM session keeper failed: {error}") from None

    def _start_keeper(self) -> None:
        """Fork the keeper (twice, so it belongs to nobody's wait) and return once the first fork ended."""
        run_pid, path = os.getppid(), self._keeper()
        child = os.fork()
        if child:
            os.waitpid(child, 0)
            return
        try:
            os.setsid()
            if os.fork():
                os._exit(0)
            self._become_keeper()
            keeper.serve(path, run_pid, self._handle, self._end)
        finally:
            os._exit(0)

    # The keeper's side -------------------------------------------------------------------------------
    def _become_keeper(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C of the run reaches the whole group
        null = os.open(os.devnull, os.O_RDWR)
        for descriptor in (0, 1, 2):
            os.dup2(null, descriptor)
        os.closerange(3, 65536)  # the worker's pipes to the run are not the keeper's
        display.set_queue(None)  # type: ignore[arg-type]  # nothing goes to the run's display from here
        self._in_keeper = True
        self.protocol = None
        self.shell_id = None
        self._connected = False

    def _handle(self, request: dict) -> dict:
        timeout = request.get("connection_timeout")
        if request.get("op") == "reset":
            self._drop(close=True)
            self.set_option("connection_timeout", timeout)
            return {"ok": True}
        now = time.monotonic()
        if self.protocol is not None and now - self._session_used > keeper.SESSION_IDLE_SECONDS:
            self._drop(close=True)
        self.set_option("connection_timeout", timeout)
        if self.protocol is not None:
            self._follow_timeout(timeout)
        self._session_used = now
        try:
            rc, stdout, stderr = super().exec_command(request["cmd"], in_data=keeper.to_bytes(request.get("stdin")))
        except Exception as error:  # whatever it was, this session is not trusted again
            self._drop(close=False)
            return {
                "error": type(error).__name__ if isinstance(error, AnsibleError) else "AnsibleConnectionFailure",
                "message": str(error),
            }
        self._session_used = time.monotonic()
        return keeper.encode_result(rc, stdout, stderr)

    def _follow_timeout(self, timeout: int | None) -> None:
        """A task's connection_timeout applied to the kept session instead of a new session: both timeouts are per
        request, not part of the session. The operation timeout is the OperationTimeout header of each request
        (MS-WSMV 3.1.4.1.6 wsman:OperationTimeout: the time within which the client expects that request's response
        or fault; WinRM's own Session.Timeout "can be set before each operation"; pywinrm writes the header from
        ``operation_timeout_sec`` into every message), the read timeout is the controller's wait for each HTTP
        answer (pywinrm's transport passes ``read_timeout_sec`` to every send). ansible.builtin.winrm's rule: both
        from connection_timeout (read 10 s longer), pywinrm's defaults when it is not set."""
        operation = timeout or self.protocol.DEFAULT_OPERATION_TIMEOUT_SEC
        read = timeout + 10 if timeout else self.protocol.DEFAULT_READ_TIMEOUT_SEC
        self._winrm_connection_timeout = timeout  # the next session's, when this one is renewed
        self.protocol.operation_timeout_sec = operation
        self.protocol.read_timeout_sec = read
        self.protocol.transport.read_timeout_sec = read

    def _drop(self, close: bool) -> None:
        if close:
            try:
                super().close()
            except Exception:  # a host that is restarting cannot be told; its shell ends with the boot
                pass
        self.protocol = None
        self.shell_id = None
        self._connected = False

    def _end(self) -> None:
        self._drop(close=True)
