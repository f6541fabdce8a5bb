"""The sandbox: local stand-ins, over real HTTP, for the outside systems the app talks to.

Development (`make run`) and the tests point the app's clients at it; each stand-in speaks its
system's real wire format, so the clients under test are the ones production uses.

    python -m devkit.sandbox --port 5001
"""

from devkit.sandbox.wechat import SandboxState, create_sandbox

__all__ = ["SandboxState", "create_sandbox"]
