"""The providers Nexora knows by name: their wire family, default URL and key variable.

A preset is a template; an org may configure several providers from one preset (say two
vLLM servers named `vllm-a` and `vllm-b`), each with its own URL, key, proxy and timeout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Family = Literal["openai", "anthropic", "google"]


@dataclass(frozen=True, slots=True)
class Preset:
    """Defaults for one kind of provider; `key_setting` names the `Settings` field with its key."""

    name: str
    family: Family
    base_url: str
    key_env: str | None
    key_setting: str | None
    models: tuple[str, ...] = ()
    key_required: bool = True
    # Local servers are detected on loopback and never need a key.
    local: bool = False


def _local(name: str, port: int) -> Preset:
    return Preset(
        name=name,
        family="openai",
        base_url=f"http://127.0.0.1:{port}/v1",
        key_env=None,
        key_setting=None,
        key_required=False,
        local=True,
    )


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "openai",
            "openai",
            "https://api.openai.com/v1",
            "OPENAI_API_KEY",
            "openai_api_key",
            ("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1"),
        ),
        Preset(
            "dashscope",
            "openai",
            "https://dashscope.aliyuncs.com/compatible-mode/v1",
            "DASHSCOPE_API_KEY",
            "dashscope_api_key",
            ("qwen-plus", "qwen-max", "qwen-turbo"),
        ),
        Preset(
            "deepseek",
            "openai",
            "https://api.deepseek.com/v1",
            "DEEPSEEK_API_KEY",
            "deepseek_api_key",
            ("deepseek-chat", "deepseek-reasoner"),
        ),
        Preset(
            "minimax",
            "openai",
            "https://api.minimax.io/v1",
            "MINIMAX_API_KEY",
            "minimax_api_key",
            ("MiniMax-M2", "MiniMax-M1"),
        ),
        Preset(
            "gemini-openai",
            "openai",
            "https://generativelanguage.googleapis.com/v1beta/openai",
            "GOOGLE_API_KEY",
            "google_api_key",
            ("gemini-2.5-flash", "gemini-2.5-pro"),
        ),
        Preset(
            "anthropic",
            "anthropic",
            "https://api.anthropic.com",
            "ANTHROPIC_API_KEY",
            "anthropic_api_key",
            ("claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-8"),
        ),
        Preset(
            "google",
            "google",
            "https://generativelanguage.googleapis.com",
            "GOOGLE_API_KEY",
            "google_api_key",
            ("gemini-2.5-flash", "gemini-2.5-pro"),
        ),
        _local("ollama", 11434),
        _local("lmstudio", 1234),
        _local("llamacpp", 8080),
        # vLLM is usually a server on another machine, so it is not probed on loopback.
        Preset(
            "vllm",
            "openai",
            "http://127.0.0.1:8000/v1",
            None,
            None,
            key_required=False,
        ),
    )
}


def get_preset(name: str) -> Preset | None:
    return PRESETS.get(name)
