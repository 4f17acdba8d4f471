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
"$VENV/bin/pip" install -q karrio-server gunicorn
export DJANGO_SETTINGS_MODULE=karrio.server.settings DEBUG_MODE=False SECRET_KEY=bench-only
export DATABASE_ENGINE=sqlite3 DATABASE_NAME="$WORK/karrio.sqlite3" WORK_DIR="$WORK"
export ALLOWED_HOSTS='*' USE_HTTPS=False KARRIO_WORKERS=1 DETACHED_WORKER=True
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
for _ in $(seq 60); do curl -fs "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 1; done
cat >"$WORK/auth.lua" <<LUA
wrk.headers["Authorization"] = "Token $TOKEN"
LUA
echo "Karrio GET /v1/trackers/{id}, SQLite, gunicorn -k uvicorn.workers.UvicornWorker -w 1"
curl -fs -H "Authorization: Token $TOKEN" "http://127.0.0.1:$PORT/v1/trackers/$TRACKER" | head -c 300; echo
wrk -t1 -c20 -d"${DURATION}s" --timeout 10s --latency -s "$WORK/auth.lua" \
  "http://127.0.0.1:$PORT/v1/trackers/$TRACKER" | grep -E "Requests/sec|50%|99%|Non-2xx"
