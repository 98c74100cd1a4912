"""Local fakes of the ERP APIs (Omie, Conta Azul, Bling, TOTVS), built from their published specs.

They ship in the distribution because ``close demo --erp`` closes the ERP example group against
them from an installed product; the test suite uses the same servers (``tests/fakes`` keeps the
fakes only tests need: rate sources, Claude, Slack, SMTP).
"""
