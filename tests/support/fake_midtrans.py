"""A fake Midtrans (Snap and Core API) on loopback that records exactly what it was sent."""

from __future__ import annotations

import json
from typing import Any

from tests.support.fake_json_api import FakeJsonApi


class FakeMidtrans(FakeJsonApi):
    def answer(self, request: dict[str, Any]) -> tuple[int, dict]:
        path = request["path"]
        body = json.loads(request["raw"]) if request["raw"] else {}
        request["json"] = body
        if path == "/snap/v1/transactions":
            token = f"snap-token-{len(self.requests)}"
            return 201, {"token": token, "redirect_url": f"https://app.sandbox.midtrans.com/snap/v4/redirection/{token}"}
        if path.startswith("/v2/") and path.endswith("/refund"):
            return 200, {"status_code": "200", "status_message": "Success, refund request is approved", "order_id": path.split("/")[2],
                         "transaction_status": "refund", "refund_key": body.get("refund_key"), "refund_amount": str(body.get("amount"))}
        return 404, {"status_code": "404", "status_message": "The requested resource is not found"}
