"""``GET /api/v1/incidents/{id}/vouchers``: the incident's voucher ledger, streamed.

CSV (default, for finance's spreadsheet) or JSON Lines (``?format=jsonl``); both are written
row by row so a 1,000,000-voucher incident never sits in memory. Voucher codes are money:
commander role, like the verbs that create them.
"""

from __future__ import annotations

import csv
import io
import json

from aiohttp import web

from broadcaster.adapters.token_store import Role
from broadcaster.errors import InputError
from broadcaster.services.voucher_export import COLUMNS, spreadsheet_safe, voucher_rows
from broadcaster.web.keys import DEPS
from broadcaster.web.roles import requires

routes = web.RouteTableDef()
FORMATS = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
FLUSH_ROWS = 1000


@routes.get("/api/v1/incidents/{id}/vouchers")
@requires(Role.COMMANDER)
async def export_vouchers(request: web.Request) -> web.StreamResponse:
    deps = request.app[DEPS]
    form = request.query.get("format", "csv")
    if form not in FORMATS:
        raise InputError(f"format: expected one of {', '.join(FORMATS)}, got {form!r}")
    incident = await deps.incident_store.get(request.match_info["id"])  # 404 when unknown
    response = web.StreamResponse(
        headers={
            "Content-Type": f"{FORMATS[form]}; charset=utf-8",
            "Content-Disposition": f'attachment; filename="vouchers-{incident.id}.{form}"',
        }
    )
    await response.prepare(request)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    if form == "csv":
        writer.writeheader()
    rows = 0
    async for row in voucher_rows(deps.voucher_store, deps.broadcasts, incident.id):
        if form == "csv":
            writer.writerow({k: spreadsheet_safe(row[k]) for k in COLUMNS})
        else:
            buffer.write(json.dumps({k: row[k] for k in COLUMNS}, ensure_ascii=False) + "\n")
        rows += 1
        if rows % FLUSH_ROWS == 0:
            await response.write(buffer.getvalue().encode())
            buffer.seek(0)
            buffer.truncate()
    await response.write(buffer.getvalue().encode())
    await response.write_eof()
    return response
