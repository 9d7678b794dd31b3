#!/usr/bin/env python3
"""Call the GenOps gateway from Python with the standard library only (urllib, json).

The gateway speaks the OpenAI wire format, so any HTTP client works: this one sends a chat completion,
then the same question streamed (Server-Sent Events, read line by line as they arrive). Every request is
governed by the gateway: policy, budgets, approvals, audit and telemetry, with no GenOps code here.

    export OPENAI_BASE_URL=http://127.0.0.1:4000/v1   # the gateway (default)
    export OPENAI_API_KEY=gk-...                       # a gateway virtual key, never a provider key
    python3 chat.py "Which index for a time-series table?"

A refusal (policy 403, budget or rate limit 429, unknown key 401) comes back as an OpenAI error object
with x-genops-* headers; this script prints it and exits with status 2.
"""

import json
import os
import sys
import urllib.error
import urllib.request

BASE_URL = os.environ.get("OPENAI_BASE_URL", "http://127.0.0.1:4000/v1").rstrip("/")
API_KEY = os.environ.get("OPENAI_API_KEY", "")
MODEL = os.environ.get("GENOPS_EXAMPLE_MODEL", "gpt-4o-mini")


class GatewayRefusal(Exception):
    """The gateway (or the provider behind it) answered with an error status."""

    def __init__(self, status, body, genops_headers):
        error = body.get("error", {}) if isinstance(body, dict) else {}
        self.status = status
        self.code = error.get("code") or error.get("type") or "error"
        self.message = error.get("message") or str(body)
        self.genops_headers = genops_headers
        super().__init__(f"{status} {self.code}: {self.message}")


def post(path, body, stream=False):
    """POST a JSON body to the gateway; the response, or GatewayRefusal for an error status."""
    request = urllib.request.Request(
        BASE_URL + path,
        data=json.dumps(body).encode("utf-8"),
        method="POST",
        headers={
            "Authorization": f"Bearer {API_KEY}",
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if stream else "application/json",
        },
    )
    try:
        return urllib.request.urlopen(request, timeout=120)
    except urllib.error.HTTPError as error:
        raw = error.read().decode("utf-8", "replace")
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = {"error": {"message": raw[:500]}}
        headers = {k.lower(): v for k, v in error.headers.items() if k.lower().startswith("x-genops-")}
        raise GatewayRefusal(error.code, parsed, headers) from None


def chat(question):
    """One chat completion: the answer and the usage the gateway settled."""
    with post("/chat/completions", {"model": MODEL, "messages": [{"role": "user", "content": question}]}) as response:
        completion = json.load(response)
    return completion["choices"][0]["message"]["content"], completion.get("usage") or {}


def sse_events(response):
    """The `data` of each Server-Sent Event, as the lines arrive (multi-line data joined with newlines)."""
    data = []
    for raw in response:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line == "":
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
        # `event:`, `id:`, `retry:` and `:` comments are not needed for chat completions.
    if data:
        yield "\n".join(data)


def chat_stream(question):
    """The same call streamed: yields text deltas, then the usage from the last chunk."""
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": question}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    usage = {}
    with post("/chat/completions", body, stream=True) as response:
        for data in sse_events(response):
            if data == "[DONE]":
                break
            chunk = json.loads(data)
            if chunk.get("usage"):
                usage = chunk["usage"]
            for choice in chunk.get("choices", []):
                text = (choice.get("delta") or {}).get("content")
                if text:
                    yield text
    yield usage


def main():
    question = " ".join(sys.argv[1:]) or "Say hello in five words."
    if not API_KEY:
        print("Set OPENAI_API_KEY to a gateway virtual key (the gateway holds the provider keys).", file=sys.stderr)
        return 2
    try:
        answer, usage = chat(question)
        print(f"answer: {answer}")
        print(f"tokens: {usage.get('prompt_tokens')} input, {usage.get('completion_tokens')} output")

        print("streamed: ", end="", flush=True)
        for part in chat_stream(question):
            if isinstance(part, dict):
                print(f"\nstreamed tokens: {part.get('prompt_tokens')} input, {part.get('completion_tokens')} output")
            else:
                print(part, end="", flush=True)
    except GatewayRefusal as refusal:
        print(f"refused: {refusal}", file=sys.stderr)
        for name, value in sorted(refusal.genops_headers.items()):
            print(f"  {name}: {value}", file=sys.stderr)
        return 2
    except urllib.error.URLError as error:
        print(f"cannot reach the gateway at {BASE_URL}: {error.reason}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
