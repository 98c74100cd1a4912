"""FX rates for translation: where every rate comes from, how it was made, and where it is kept.

Modules, from the records to the edge:

* ``model`` — ``FxRate`` (what ``fx_rates`` stores), ``RateNeed``, daily ``Quotation``.
* ``routes`` — which source quotes a pair: PTAX for BRL, the ECB for EUR and crosses via EUR.
* ``derivation`` — closing, average and historical rates from daily quotations (pure).
* ``plausibility`` — moves since the prior month beyond a threshold (pure, returns findings).
* ``bcb``, ``ecb``, ``transport`` — the two APIs over httpx with tenacity and pybreaker.
* ``files`` — the rates CSV (rates for other currencies, fallbacks, overrides).
* ``service`` — ``RateService.fetch_rates``: overrides, sources, file fallback.
* ``store`` — ``fetch_and_store_rates`` (fetch once, reuse) and ``rates_table_rows``.
"""
