#!/usr/bin/env bash
# Call the GenOps gateway with curl: a chat completion, the same streamed (SSE), an Anthropic Messages
# call and the model list. The gateway governs each one (policy, budgets, approvals, audit, telemetry).
#
#   export OPENAI_BASE_URL=http://127.0.0.1:4000/v1   # the gateway (default)
#   export OPENAI_API_KEY=gk-...                       # a gateway virtual key, never a provider key
#   bash chat.sh
#
# A refusal is an error object in the route's wire format with the GenOps status (403 policy, 429
# budget or rate limit, 401 unknown key) and x-genops-* headers: --fail-with-body prints it and stops.
set -euo pipefail

BASE="${OPENAI_BASE_URL:-http://127.0.0.1:4000/v1}"
BASE="${BASE%/}"
KEY="${OPENAI_API_KEY:?set OPENAI_API_KEY to a gateway virtual key}"
ORIGIN="${BASE%/v1}" # the Anthropic route is <gateway>/v1/messages
MODEL="${GENOPS_EXAMPLE_MODEL:-gpt-4o-mini}"
CLAUDE="${GENOPS_EXAMPLE_CLAUDE:-claude-haiku-4-5}"

echo "== chat completion"
curl -sS --fail-with-body "$BASE/chat/completions" \
  -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' \
  -d '{"model": "'"$MODEL"'", "messages": [{"role": "user", "content": "Say hello in five words."}]}'
echo

echo "== streamed (-N: print each event as it arrives)"
curl -sS -N --fail-with-body "$BASE/chat/completions" \
  -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' \
  -d '{"model": "'"$MODEL"'", "stream": true, "stream_options": {"include_usage": true},
       "messages": [{"role": "user", "content": "Say hello in five words."}]}'
echo

echo "== Anthropic Messages (x-api-key works too)"
curl -sS --fail-with-body "$ORIGIN/v1/messages" \
  -H "x-api-key: $KEY" \
  -H 'anthropic-version: 2023-06-01' \
  -H 'Content-Type: application/json' \
  -d '{"model": "'"$CLAUDE"'", "max_tokens": 256, "messages": [{"role": "user", "content": "Say hello in five words."}]}'
echo

echo "== models"
curl -sS --fail-with-body "$BASE/models" -H "Authorization: Bearer $KEY"
echo
