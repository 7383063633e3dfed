"""Build step: compile the stub (umlskas/host/stub.c) with cc into the package."""

import os
import sys

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildWithStub(build_py):
    """build_py that also compiles the stub; a missing compiler is a clear install error."""

    def run(self):
        sys.path.insert(0, HERE)
        from umlskas.host.stub_channel import STUB_BINARY, StubBuildError, build_stub
        try:
            build_stub()
        except StubBuildError as e:
            raise SystemExit(f"umlskas install failed: {e}") from None
        finally:
            sys.path.remove(HERE)
        super().run()
        target = os.path.join(self.build_lib, "umlskas", "host", "umlskas-stub")
        if os.path.isdir(os.path.dirname(target)):
            self.copy_file(STUB_BINARY, target)
            os.chmod(target, 0o755)


setup(cmdclass={"build_py": BuildWithStub})
