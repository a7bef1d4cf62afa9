"""The switch that turns skips for a missing service (TeX, SLURM) into failures in CI."""

import pytest

from ..conftest import require


def test_a_missing_service_skips_locally_and_fails_under_rnn_require_services(monkeypatch):
    monkeypatch.delenv("RNN_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="SLURM is not available: start it"):
        require("SLURM", False, "start it")
    monkeypatch.setenv("RNN_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="RNN_REQUIRE_SERVICES=1 and TeX is not available: install"):
        require("TeX", False, "install")
    assert require("TeX", True, "install") is None
