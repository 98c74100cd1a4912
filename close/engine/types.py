"""Domain words as type aliases, so signatures read like the close they describe."""

from typing import Literal

EntityId = str
AccountCode = str
Currency = str
Period = str  # "YYYY-MM"
TenantId = str
RunId = str  # a UUID as text

AccountClass = Literal["asset", "liability", "equity", "revenue", "expense"]
NormalBalance = Literal["debit", "credit"]
RateType = Literal["closing", "average", "historical"]
