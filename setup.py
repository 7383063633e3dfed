"""Build step: compile the stub (umlskas/host/stub.c) and the C hot path with cc into the
package.  The wheel holds an x86-64 binary and a CPython extension module, so it is tagged
for this interpreter and platform (cp3xx-cp3xx-linux_x86_64), never py3-none-any."""

import os
import sys

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildWithStub(build_py):
    """build_py that also compiles the stub; a missing compiler is a clear install error."""

    def run(self):
        sys.path.insert(0, HERE)
        from umlskas.host import build
        try:
            build.build_stub()
            built = [build.STUB_BINARY]
            try:
                build.build_fastpath()
                built.append(build.FASTPATH_MODULE)
            except build.BuildError as e:   # optional: the ctypes path works without it
                print(f"umlskas: the C hot path was not built ({e}); using ctypes")
        except build.BuildError as e:
            raise SystemExit(f"umlskas install failed: {e}") from None
        finally:
            sys.path.remove(HERE)
        super().run()
        for path in built:
            target = os.path.join(self.build_lib, "umlskas", "host", os.path.basename(path))
            if os.path.isdir(os.path.dirname(target)):
                self.copy_file(path, target)
                os.chmod(target, 0o755)


class CompiledDistribution(Distribution):
    """The compiled files are built by build_py, not as ext_modules: say that the
    distribution has them, so bdist_wheel makes a platform wheel (root_is_pure False)."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithStub}, distclass=CompiledDistribution)
