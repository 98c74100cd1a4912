"""Start the four ERP fakes for demos (``close demo --erp``) and return how to reach them.

    urls = start_erp_fakes()          # {"omie": "http://127.0.0.1:PORT/api/v1", ...}
    sources = erp_demo_sources(urls)  # name -> (source settings, secrets) per connector

The servers run in daemon threads until ``stop_erp_fakes()`` or the process ends. For demos the
OAuth fakes keep one refresh token (no rotation), so separate worker processes can all use the
secrets returned here. Every fake serves the same small books (connectors/fakes/erp_seed.py and, for
TOTVS, the dated journal of connectors/fakes/totvs.py whose March is SEED_GL); the seeded period is
2024-03.
"""

from __future__ import annotations

from typing import Any

from connectors.fakes import bling, contaazul, omie, totvs
from connectors.fakes.server import FakeServer

_running: dict[str, FakeServer] = {}


def start_erp_fakes() -> dict[str, str]:
    """Start (once per process) the Omie, Conta Azul, Bling and TOTVS fakes.

    Returns:
        Connector name → the ``base_url`` its source settings need: ``omie``, ``contaazul``,
        ``bling``, ``totvs_rm`` and ``totvs_protheus`` (the last two share one server: RM at
        its root, Protheus under ``/rest``).
    """
    if not _running:
        for name, fake in (("omie", omie.OmieFake()), ("contaazul", contaazul.ContaAzulFake()),
                           ("bling", bling.BlingFake()), ("totvs", totvs.TotvsFake())):
            tokens = getattr(fake, "tokens", None)
            if tokens is not None:
                tokens.rotate = False
            if isinstance(fake, bling.BlingFake):
                fake.rate_limit = None  # the demo runs at the fast http settings below
            _running[name] = fake.start()
    return {
        "omie": f"{_running['omie'].url}/api/v1",
        "contaazul": _running["contaazul"].url,
        "bling": f"{_running['bling'].url}/Api/v3",
        "totvs_rm": _running["totvs"].url,
        "totvs_protheus": f"{_running['totvs'].url}/rest",
    }


def running_fake(name: str) -> FakeServer:
    """Return a fake ``start_erp_fakes`` started (``omie``, ``contaazul``, ``bling``, ``totvs``)."""
    return _running[name]


def erp_demo_sources(urls: dict[str, str]) -> dict[str, tuple[dict[str, Any], dict[str, str]]]:
    """Return, per connector, the ``[entities.source]`` settings and the secrets for the fakes.

    Args:
        urls: the result of ``start_erp_fakes``.

    Returns:
        Connector name → (settings, secrets). Secrets are the fakes' test credentials; the rate
        limits are raised (the fakes do not throttle) so a demo close takes seconds.
    """
    fast = {"http": {"rate": 100, "burst": 100}}
    sources = {
        "omie": ({"base_url": urls["omie"]},
                 {"app_key": omie.APP_KEY, "app_secret": omie.APP_SECRET}),
        "contaazul": ({"base_url": urls["contaazul"],
                       "token_url": f"{urls['contaazul']}/oauth2/token"},
                      {"client_id": contaazul.CLIENT_ID, "client_secret": contaazul.CLIENT_SECRET,
                       "refresh_token": contaazul.REFRESH_TOKEN}),
        "bling": ({"base_url": urls["bling"]},
                  {"client_id": bling.CLIENT_ID, "client_secret": bling.CLIENT_SECRET,
                   "refresh_token": bling.REFRESH_TOKEN}),
        "totvs_rm": ({"base_url": urls["totvs_rm"], "company_id": totvs.COMPANY_ID},
                     {"username": totvs.USERNAME, "password": totvs.PASSWORD}),
        "totvs_protheus": ({"base_url": urls["totvs_protheus"], "tenant_id": totvs.TENANT},
                           {"username": totvs.USERNAME, "password": totvs.PASSWORD}),
    }
    return {name: ({**settings, **fast}, secrets) for name, (settings, secrets) in sources.items()}


def stop_erp_fakes() -> None:
    """Stop every fake started by ``start_erp_fakes``."""
    for fake in _running.values():
        fake.stop()
    _running.clear()
