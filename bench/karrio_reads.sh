#!/usr/bin/env bash
# Karrio side by side (issue 13 §4): its tracker read with the same server and load settings as
# bench/reads.py. Installs karrio-server into its own venv (./.karrio-venv), SQLite, one gunicorn
# worker, wrk -t1 -c20 -d${DURATION:-8}s on GET /v1/trackers/{id}. Everything on 127.0.0.1.
#
#   bash bench/karrio_reads.sh            # then compare with bench/reads.py's figures
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${KARRIO_VENV:-$HERE/.karrio-venv}"
WORK="$(mktemp -d /tmp/bench-karrio-XXXX)"
PORT="${KARRIO_PORT:-5089}"
DURATION="${DURATION:-8}"
trap 'kill -- -"$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
# karrio-server alone does not start: its settings import huey and django-downloadview, its URLs
# the manager/events/graph/orders/data/proxy apps, its migrations the pricing app. The documents
# app is left out: it fetches a stylesheet from a CDN at import time (no internet here).
"$VENV/bin/pip" install -q karrio-server karrio-server-manager karrio-server-events \
  karrio-server-graph karrio-server-orders karrio-server-data karrio-server-proxy \
  karrio-server-pricing huey django-downloadview gunicorn uvicorn
"$VENV/bin/pip" uninstall -y -q karrio-server-documents 2>/dev/null || true
export DJANGO_SETTINGS_MODULE=karrio.server.settings DEBUG_MODE=False SECRET_KEY=bench-only
export DATABASE_NAME="$WORK/karrio.sqlite3" WORK_DIR="$WORK" ALLOWED_HOSTS='*' USE_HTTPS=False
# DRF throttles a user to 600/minute by default: lifted, or most answers would be 429s.
export USER_RATE_LIMIT=100000000/minute ANON_RATE_LIMIT=100000000/minute
"$VENV/bin/karrio" migrate --noinput >"$WORK/migrate.log" 2>&1
# An admin, its API key, and one tracker with 4 events (stored directly: no carrier is called).
KEY="$("$VENV/bin/karrio" shell -c '
from django.contrib.auth import get_user_model
from karrio.server.user.models import Token
from karrio.server.manager.models import Tracking
User = get_user_model()
user = User.objects.create_superuser("bench@example.com", "bench-only-pass")
token = Token.objects.create(user=user)
events = [{"date": "2026-12-0%d" % d, "time": "10:00", "code": c, "description": c,
           "location": "Memphis, TN"} for d, c in enumerate(["LABEL", "PICKUP", "TRANSIT", "OUT"], 1)]
t = Tracking.objects.create(tracking_number="794600000001", events=events, status="in_transit",
                            created_by=user, test_mode=True)
print(token.key + " " + t.id)' | tail -1)"
TOKEN="${KEY%% *}"; TRACKER="${KEY##* }"
setsid "$VENV/bin/gunicorn" karrio.server.asgi -k uvicorn.workers.UvicornWorker -w 1 \
  -b "127.0.0.1:$PORT" --log-level warning --timeout 120 --keep-alive 5 >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 60); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 1; done
cat >"$WORK/auth.lua" <<LUA
wrk.headers["Authorization"] = "Token $TOKEN"
LUA
echo "Karrio GET /v1/trackers/{id}, SQLite, gunicorn -k uvicorn.workers.UvicornWorker -w 1"
curl -fs -H "Authorization: Token $TOKEN" "http://127.0.0.1:$PORT/v1/trackers/$TRACKER" | head -c 300; echo
wrk -t1 -c20 -d"${DURATION}s" --timeout 10s --latency -s "$WORK/auth.lua" \
  "http://127.0.0.1:$PORT/v1/trackers/$TRACKER" | grep -E "requests in|Requests/sec|50%|99%|Non-2xx"
echo "status of 40 more requests, 20 at a time (what the non-2xx are):"
seq 40 | xargs -P20 -I{} curl -s -o /dev/null -w "%{http_code}\n" -H "Authorization: Token $TOKEN" \
  "http://127.0.0.1:$PORT/v1/trackers/$TRACKER" | sort | uniq -c
