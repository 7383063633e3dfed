"""The umlskas pytest plugin comes in through its pytest11 entry point; from a
checkout that is not installed, register it here so these tests still run."""

import umlskas.pytest_plugin


def pytest_configure(config):
    pm = config.pluginmanager
    if not pm.is_registered(umlskas.pytest_plugin) and pm.get_plugin("umlskas") is None:
        pm.register(umlskas.pytest_plugin, "umlskas")
        umlskas.pytest_plugin.pytest_configure(config)
