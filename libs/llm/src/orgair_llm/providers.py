"""The two providers behind one `send`, through their official SDKs.

Each adapter turns a `ProviderRequest` into its SDK's call and the answer (or the
failure) back into provider-neutral terms. Failures are classified once, here:

* 429 → `rate_limited`; 5xx and 408 → `server_error`; the SDK's time-out →
  `timeout`; a connection that failed or dropped → `connection_error`; a 2xx body
  the SDK could not read → `bad_response` — all transient, so the client retries
  and then falls back to the other provider;
* any other 4xx → `rejected`: the request itself is wrong, and the other provider
  would refuse it too, so it is reported, never retried.

`maybe_billed` says whether the provider may have charged for a failed attempt (it
received the request and the answer was lost: read time-out, dropped connection,
unreadable body); the budget then keeps that attempt's worst case as spent. An
error status or a connection that never opened costs nothing.

The SDKs' own retries are off (`max_retries=0`): the client retries itself, so that
every attempt is reserved, settled and recorded on its own. The SDKs are imported
when an adapter is built, not when this library is imported, and their loggers are
held at WARNING because at DEBUG they print whole request bodies (the prompts).
"""

from __future__ import annotations

import email.utils
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from orgair_config import LLMProvider
from orgair_llm.ledger import Outcome
from orgair_llm.messages import ProviderReply, ProviderRequest

if TYPE_CHECKING:
    import anthropic
    import openai

__all__ = ["AnthropicProvider", "OpenAIProvider", "Provider", "ProviderFailure"]

# Loggers of the SDKs and of their HTTP client.
SDK_LOGGERS = ("openai", "anthropic", "httpx2", "httpcore2")


def quiet_sdk_loggers() -> None:
    for name in SDK_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)


@dataclass
class ProviderFailure(Exception):
    """A failed attempt, classified (see the module docstring)."""

    kind: Outcome
    status: int | None = None
    retry_after_seconds: float | None = None
    maybe_billed: bool = False

    @property
    def transient(self) -> bool:
        return self.kind != "rejected"

    def __str__(self) -> str:
        return self.kind if self.status is None else f"{self.kind} {self.status}"


class Provider(Protocol):
    """One provider's API."""

    name: LLMProvider

    def send(self, request: ProviderRequest) -> ProviderReply: ...

    def close(self) -> None: ...


def _retry_after(headers: Any) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date)."""
    if headers is None:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _never_sent(exc: BaseException) -> bool:
    """True when the connection never opened (so nothing reached the provider)."""
    import httpx2

    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, httpx2.ConnectError | httpx2.ConnectTimeout | httpx2.PoolTimeout):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _classify(sdk: Any, exc: Exception) -> ProviderFailure:
    """The failure an SDK exception stands for (both SDKs share one hierarchy)."""
    if isinstance(exc, sdk.APIStatusError):
        status = int(exc.status_code)
        retry_after = _retry_after(exc.response.headers)
        if status == 429:
            return ProviderFailure("rate_limited", status, retry_after)
        if status >= 500 or status == 408:
            return ProviderFailure("server_error", status, retry_after)
        return ProviderFailure("rejected", status)
    if isinstance(exc, sdk.APITimeoutError):
        return ProviderFailure("timeout", maybe_billed=not _never_sent(exc))
    if isinstance(exc, sdk.APIConnectionError):
        return ProviderFailure("connection_error", maybe_billed=not _never_sent(exc))
    return ProviderFailure("bad_response", maybe_billed=True)


def _timeout(sdk: Any, request_seconds: float, connect_seconds: float) -> Any:
    return sdk.Timeout(request_seconds, connect=connect_seconds)


class OpenAIProvider:
    """Chat Completions (`/v1/chat/completions`); structured output as a JSON schema
    response format."""

    name: LLMProvider = "openai"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        request_timeout_seconds: float,
        connect_timeout_seconds: float,
    ) -> None:
        import openai

        quiet_sdk_loggers()
        self._sdk = openai
        self._client: openai.OpenAI = openai.OpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=_timeout(openai, request_timeout_seconds, connect_timeout_seconds),
            max_retries=0,
        )

    def send(self, request: ProviderRequest) -> ProviderReply:
        messages: list[dict[str, str]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        messages.extend({"role": m.role, "content": m.content} for m in request.messages)
        options: dict[str, Any] = {}
        if request.output_format is not None:
            options["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": request.output_format.name,
                    "description": request.output_format.description,
                    "schema": request.output_format.json_schema,
                    "strict": False,
                },
            }
        try:
            response = self._client.chat.completions.create(
                model=request.model,
                messages=messages,  # type: ignore[arg-type]
                max_completion_tokens=request.max_output_tokens,
                **options,
            )
            text = (response.choices[0].message.content or "") if response.choices else ""
            usage = response.usage
        except Exception as exc:
            raise _classify(self._sdk, exc) from exc
        return ProviderReply(
            text=text,
            input_tokens=usage.prompt_tokens if usage is not None else None,
            output_tokens=usage.completion_tokens if usage is not None else None,
            structured=None,
            request_id=getattr(response, "_request_id", None) or response.id,
        )

    def close(self) -> None:
        self._client.close()


class AnthropicProvider:
    """Messages (`/v1/messages`); structured output as one forced tool call."""

    name: LLMProvider = "anthropic"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        request_timeout_seconds: float,
        connect_timeout_seconds: float,
    ) -> None:
        import anthropic

        quiet_sdk_loggers()
        self._sdk = anthropic
        self._client: anthropic.Anthropic = anthropic.Anthropic(
            api_key=api_key,
            base_url=base_url,
            timeout=_timeout(anthropic, request_timeout_seconds, connect_timeout_seconds),
            max_retries=0,
        )

    def send(self, request: ProviderRequest) -> ProviderReply:
        messages: list[Any] = [{"role": m.role, "content": m.content} for m in request.messages]
        options: dict[str, Any] = {}
        if request.system:
            options["system"] = request.system
        output_format = request.output_format
        if output_format is not None:
            options["tools"] = [
                {
                    "name": output_format.name,
                    "description": output_format.description,
                    "input_schema": output_format.json_schema,
                }
            ]
            options["tool_choice"] = {"type": "tool", "name": output_format.name}
        try:
            message = self._client.messages.create(
                model=request.model,
                max_tokens=request.max_output_tokens,
                messages=messages,
                **options,
            )
            texts: list[str] = []
            structured: Any = None
            for block in message.content:
                if block.type == "text":
                    texts.append(block.text)
                elif (
                    block.type == "tool_use"
                    and output_format is not None
                    and block.name == output_format.name
                ):
                    structured = block.input
            usage = message.usage
            input_tokens = (
                usage.input_tokens
                + (usage.cache_creation_input_tokens or 0)
                + (usage.cache_read_input_tokens or 0)
            )
        except Exception as exc:
            raise _classify(self._sdk, exc) from exc
        text = json.dumps(structured) if structured is not None else "".join(texts)
        return ProviderReply(
            text=text,
            input_tokens=input_tokens,
            output_tokens=usage.output_tokens,
            structured=structured,
            request_id=getattr(message, "_request_id", None) or message.id,
        )

    def close(self) -> None:
        self._client.close()
