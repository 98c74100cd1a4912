"""The board package: workbook, deck, PDFs and the zip, all rendered from one ``BoardPackData``.

Builders are pure (no database, clock or environment): ``build_workbook(data)``,
``build_deck(data)``, ``build_board_pdf(data)``, ``build_summary_pdf(data)`` and
``build_package_zip(files, run_id=…, created_at=…)``.
"""
