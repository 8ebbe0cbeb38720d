"""Fakes, not mocks: a strict scripted chat model and a fake OpenAI-compatible HTTP server."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field


class UnexpectedLLMCall(AssertionError):
    pass


class StrictScriptedChatModel(BaseChatModel):
    """Answers with the scripted replies in order and fails on any call beyond them."""

    replies: list[str]
    calls: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "strict-scripted"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        if len(self.calls) >= len(self.replies):
            raise UnexpectedLLMCall(f"unexpected LLM call #{len(self.calls) + 1}")
        self.calls.append(list(messages))
        reply = self.replies[len(self.calls) - 1]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])


class FakeOpenAI:
    """An OpenAI-compatible /v1/chat/completions server on 127.0.0.1 with scripted behaviour:
    `content` (what the assistant says), `delay` (seconds before answering), `status`."""

    def __init__(self) -> None:
        self.content = '{"reply": "您好", "citations": []}'
        self.delay = 0.0
        self.status = 200
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(body)
                time.sleep(fake.delay)
                if fake.status != 200:
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"error": {"message": "boom", "type": "server_error"}}')
                    return
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    for i in range(0, len(fake.content), 8):
                        chunk = {
                            "id": "c1",
                            "object": "chat.completion.chunk",
                            "created": 0,
                            "model": body.get("model"),
                            "choices": [
                                {
                                    "index": 0,
                                    "delta": {"content": fake.content[i : i + 8]},
                                    "finish_reason": None,
                                }
                            ],
                        }
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.write(b"data: [DONE]\n\n")
                    return
                payload = {
                    "id": "c1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model"),
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": fake.content},
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class BagOfCharsEmbedder:
    """A deterministic bag-of-characters embedder (LangChain Embeddings interface) for tests
    that need meaningful similarity without a model."""

    identity = "bag-of-chars-test"

    def __init__(self, alphabet: str) -> None:
        self.alphabet = alphabet

    def embed_query(self, text: str) -> list[float]:
        import math

        counts = [float(text.count(ch)) for ch in self.alphabet]
        norm = math.sqrt(sum(c * c for c in counts)) or 1.0
        return [c / norm for c in counts]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]


def agent_headers(app) -> dict[str, str]:
    """Bearer headers of a new agent on `app`'s desk (every /v1 route needs a caller)."""
    import secrets

    from copilot.desk.auth import add_user

    with app.state.db.session() as s:
        _, _, token = add_user(
            s, username=f"api-{secrets.token_hex(3)}", role="agent", password="api-password-1"
        )
    return {"Authorization": f"Bearer {token}"}
