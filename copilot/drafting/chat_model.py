"""The chat model behind the `openai` provider: any OpenAI-compatible endpoint (vLLM, Ollama,
hosted Qwen or DeepSeek) through langchain-openai. The only module importing langchain_openai."""

from __future__ import annotations

import os

from langchain_core.language_models import BaseChatModel

from copilot.errors import ConfigError
from copilot.settings import LLMSettings


def make_chat_model(settings: LLMSettings, *, streaming: bool = False) -> BaseChatModel:
    if not settings.base_url:
        raise ConfigError(
            "the openai provider needs COPILOT_LLM__BASE_URL (an OpenAI-compatible endpoint, "
            "e.g. http://127.0.0.1:11434/v1 for Ollama)"
        )
    from langchain_openai import ChatOpenAI

    # Local servers (vLLM, Ollama) accept any key; hosted ones read it from the environment.
    key = os.environ.get(settings.api_key_env) or "local-no-key"
    return ChatOpenAI(
        base_url=settings.base_url,
        model=settings.model,
        api_key=key,
        timeout=settings.timeout_s,
        max_retries=settings.max_retries,
        temperature=settings.temperature,
        streaming=streaming,
    )


def provider_name(settings: LLMSettings) -> str:
    return f"openai:{settings.model}"
