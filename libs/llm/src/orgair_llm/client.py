"""`LLMClient`: one call = the default model, bounded retries, then the fallback model.

Every attempt goes through the same four steps, so the budget and the ledger are
exact whatever happens to it:

1. reserve its worst-case cost in the shared daily budget (no reservation, no call:
   `BudgetExhausted` / `BudgetUnavailable`, and nothing is sent);
2. send it to the provider (its SDK retries nothing itself);
3. settle the reservation at the cost the provider reported (0 for an error status,
   the worst case when an answer was lost after the provider had the request);
4. record a ledger row and count it in the metrics.

Transient failures (429, 5xx, time-outs, connection errors, unreadable answers) are
retried on the same model up to `LLM_MAX_RETRIES` times with exponential back-off
and jitter (a `Retry-After` the provider sent is honoured; one longer than the
back-off cap sends the call to the fallback at once), then the call moves to the
fallback model of the other provider. A request the provider rejects (another 4xx)
is reported at once: the other provider would reject it too.

Retries are this loop's rather than the SDKs' (`max_retries=0` there) because an SDK
retry would send a second billed request under one reservation and one ledger row;
tenacity is not used because each step of the loop (reserve, settle, record, fall
back) is specific to this policy and the loop stays a few lines.

Log lines name the purpose, provider, model, tokens, cost, outcome, latency and
sizes; never a prompt, an answer or a key (the keys are registered with the log
redaction as well).
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import structlog
from pydantic import BaseModel, SecretStr, ValidationError

from orgair_config import ModelPrice, Settings, llm_provider_for
from orgair_llm.budget import BudgetStatus, Clock, DailyBudget, utc_now
from orgair_llm.costs import cost_micros, input_token_bound, micros_to_usd
from orgair_llm.errors import (
    AttemptFailure,
    BudgetExhausted,
    BudgetUnavailable,
    LLMNotConfigured,
    LLMRequestRejected,
    LLMUnavailable,
    StructuredOutputInvalid,
)
from orgair_llm.ledger import LedgerEntry, LedgerSink, Outcome
from orgair_llm.messages import (
    Completion,
    Message,
    OutputFormat,
    ProviderReply,
    ProviderRequest,
    Structured,
)
from orgair_llm.providers import AnthropicProvider, OpenAIProvider, Provider, ProviderFailure
from orgair_llm.structured import correction_messages, output_format_for, parse_answer, schema_text
from orgair_observability.correlation import get_correlation_id
from orgair_observability.metrics import LLM_CALLS, LLM_COST_USD
from orgair_observability.redaction import register_secret_values

__all__ = ["LLMClient", "RetryPolicy", "Route"]

log = structlog.get_logger(__name__)

T = TypeVar("T", bound=BaseModel)
PURPOSE_PATTERN = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")


@dataclass(frozen=True)
class Route:
    """A model and the provider that serves it, in the order they are tried."""

    model: str
    provider: Provider


@dataclass(frozen=True)
class RetryPolicy:
    """Retries per model after a transient failure, and the waits between them."""

    max_retries: int = 2
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 8.0

    def wait_before_retry(self, retry: int, retry_after_seconds: float | None) -> float | None:
        """Seconds to wait before retry number `retry` (0-based) on the same model, or
        None to go to the fallback now (the provider asked for a longer pause)."""
        if retry_after_seconds is not None and retry_after_seconds > self.backoff_max_seconds:
            return None
        ceiling = min(self.backoff_max_seconds, self.backoff_base_seconds * 2.0**retry)
        jittered = ceiling * random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not cryptography)
        return max(jittered, retry_after_seconds or 0.0)


@dataclass
class _Call:
    """One logical call: its id and every attempt made for it so far."""

    call_id: uuid.UUID
    purpose: str
    correlation_id: str | None
    attempts: list[LedgerEntry] = field(default_factory=list)
    failures: list[AttemptFailure] = field(default_factory=list)


@dataclass(frozen=True)
class _Parser(Generic[T]):
    schema: type[T]
    context: Mapping[str, Any] | None

    def __call__(self, reply: ProviderReply) -> T:
        return parse_answer(self.schema, reply, self.context)


@dataclass(frozen=True)
class _Answer(Generic[T]):
    route_index: int
    reply: ProviderReply
    entry: LedgerEntry
    value: T | None = None
    error: ValidationError | None = None


class LLMClient:
    """Calls models under the shared daily budget, with fallback, recording every attempt."""

    def __init__(
        self,
        *,
        routes: Sequence[Route],
        budget: DailyBudget,
        ledger: LedgerSink,
        prices: Mapping[str, ModelPrice],
        default_model: str,
        max_output_tokens: int,
        retry: RetryPolicy | None = None,
        missing_settings: Sequence[str] = (),
        clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        unpriced = [route.model for route in routes if route.model not in prices]
        if unpriced:
            raise ValueError(f"no price for {', '.join(unpriced)}")
        self.routes = tuple(routes)
        self.budget = budget
        self._ledger = ledger
        self._prices = dict(prices)
        self.default_model = default_model
        self.max_output_tokens = max_output_tokens
        self._retry = retry or RetryPolicy()
        self.missing_settings = tuple(missing_settings)
        self._clock = clock
        self._sleep = sleep

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        ledger: LedgerSink,
        budget: DailyBudget | None = None,
        clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> LLMClient:
        """The default then the fallback model, each only when its provider's key is set."""
        keys: dict[str, tuple[str, SecretStr | None, str | None]] = {
            "openai": ("OPENAI_API_KEY", settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL),
            "anthropic": (
                "ANTHROPIC_API_KEY",
                settings.ANTHROPIC_API_KEY,
                settings.ANTHROPIC_BASE_URL,
            ),
        }
        register_secret_values(
            secret.get_secret_value() for _, secret, _ in keys.values() if secret is not None
        )
        providers: dict[str, Provider] = {}
        routes: list[Route] = []
        missing: list[str] = []
        for model in (settings.DEFAULT_LLM_MODEL, settings.FALLBACK_LLM_MODEL):
            name = llm_provider_for(model)
            if name is None:
                raise ValueError(f"no provider serves {model!r}")
            setting, secret, base_url = keys[name]
            if secret is None:
                missing.append(f"{setting} (for {model})")
                continue
            if name not in providers:
                provider_class = OpenAIProvider if name == "openai" else AnthropicProvider
                providers[name] = provider_class(
                    api_key=secret.get_secret_value(),
                    base_url=base_url,
                    request_timeout_seconds=settings.LLM_REQUEST_TIMEOUT_SECONDS,
                    connect_timeout_seconds=settings.LLM_CONNECT_TIMEOUT_SECONDS,
                )
            routes.append(Route(model, providers[name]))
        return cls(
            routes=routes,
            budget=budget or DailyBudget.from_settings(settings, clock=clock),
            ledger=ledger,
            prices=settings.llm_prices,
            default_model=settings.DEFAULT_LLM_MODEL,
            max_output_tokens=settings.LLM_MAX_OUTPUT_TOKENS,
            retry=RetryPolicy(
                max_retries=settings.LLM_MAX_RETRIES,
                backoff_base_seconds=settings.LLM_RETRY_BACKOFF_BASE_SECONDS,
                backoff_max_seconds=settings.LLM_RETRY_BACKOFF_MAX_SECONDS,
            ),
            missing_settings=missing,
            clock=clock,
            sleep=sleep,
        )

    @property
    def configured(self) -> bool:
        """At least one model has its provider's key."""
        return bool(self.routes)

    def budget_status(self) -> BudgetStatus:
        return self.budget.status()

    def complete(
        self,
        *,
        purpose: str,
        system: str,
        messages: Sequence[Message],
        max_output_tokens: int | None = None,
        correlation_id: str | None = None,
    ) -> Completion:
        """A text answer from the first model that gives one."""
        call = self._start(purpose, correlation_id)
        answer: _Answer[BaseModel] = self._send(
            call, system, tuple(messages), None, self._max_output(max_output_tokens), None
        )
        return self._completion(call, answer)

    def structured(
        self,
        schema: type[T],
        *,
        purpose: str,
        system: str,
        messages: Sequence[Message],
        max_output_tokens: int | None = None,
        correlation_id: str | None = None,
        validation_context: Mapping[str, Any] | None = None,
    ) -> Structured[T]:
        """An answer validated as `schema` (its validators see `validation_context`);
        one corrected retry, then `StructuredOutputInvalid`."""
        call = self._start(purpose, correlation_id)
        parse = _Parser(schema, validation_context)
        output_format = output_format_for(schema)
        limit = self._max_output(max_output_tokens)
        conversation = tuple(messages)
        answer = self._send(call, system, conversation, output_format, limit, parse)
        if answer.error is not None:
            conversation = correction_messages(
                conversation, answer.reply.text, answer.error, output_format.name
            )
            answer = self._send(
                call, system, conversation, output_format, limit, parse, answer.route_index
            )
        if answer.error is not None or answer.value is None:
            raise StructuredOutputInvalid(
                schema=output_format.name,
                model=answer.entry.model,
                error_count=answer.error.error_count() if answer.error else 0,
                error_types=[e["type"] for e in answer.error.errors()] if answer.error else (),
            )
        return Structured(
            value=answer.value,
            completion=self._completion(call, answer),
            attempts=tuple(call.attempts),
        )

    def close(self) -> None:
        for provider in {id(route.provider): route.provider for route in self.routes}.values():
            provider.close()
        self.budget.close()

    # -- one call ----------------------------------------------------------------------

    def _start(self, purpose: str, correlation_id: str | None) -> _Call:
        if not PURPOSE_PATTERN.match(purpose):
            raise ValueError(f"purpose must match {PURPOSE_PATTERN.pattern}")
        if not self.routes:
            raise LLMNotConfigured(self.missing_settings)
        return _Call(uuid.uuid4(), purpose, correlation_id or get_correlation_id())

    def _max_output(self, requested: int | None) -> int:
        if requested is None:
            return self.max_output_tokens
        if requested < 1:
            raise ValueError("max_output_tokens must be at least 1")
        return min(requested, self.max_output_tokens)

    def _send(
        self,
        call: _Call,
        system: str,
        messages: tuple[Message, ...],
        output_format: OutputFormat | None,
        max_output_tokens: int,
        parse: _Parser[T] | None,
        first_route: int = 0,
    ) -> _Answer[T]:
        for index in range(first_route, len(self.routes)):
            route = self.routes[index]
            request = ProviderRequest(
                route.model, system, messages, max_output_tokens, output_format
            )
            for retry in range(self._retry.max_retries + 1):
                outcome = self._attempt(call, index, request, parse)
                if isinstance(outcome, _Answer):
                    return outcome
                if not outcome.transient:
                    raise LLMRequestRejected(call.failures[-1])
                if retry == self._retry.max_retries:
                    break
                wait = self._retry.wait_before_retry(retry, outcome.retry_after_seconds)
                if wait is None:
                    break
                self._sleep(wait)
            if index + 1 < len(self.routes):
                log.warning(
                    "llm_falling_back",
                    call_id=str(call.call_id),
                    purpose=call.purpose,
                    from_model=route.model,
                    to_model=self.routes[index + 1].model,
                )
        raise LLMUnavailable(call.failures)

    def _attempt(
        self, call: _Call, index: int, request: ProviderRequest, parse: _Parser[T] | None
    ) -> _Answer[T] | ProviderFailure:
        route = self.routes[index]
        price = self._prices[route.model]
        texts = [request.system, *(m.content for m in request.messages)]
        if request.output_format is not None:
            texts.append(schema_text(request.output_format))
        input_bound = input_token_bound(texts, messages=len(request.messages) + 1)
        worst = cost_micros(
            price, input_tokens=input_bound, output_tokens=request.max_output_tokens
        )
        record = _Recorder(self, call, route, worst, sum(len(text) for text in texts))
        try:
            reservation = self.budget.reserve(worst)
        except BudgetExhausted:
            record("budget_exhausted", error="daily budget exhausted")
            raise
        except BudgetUnavailable:
            record("budget_unavailable", error="budget store unreachable")
            raise
        try:
            reply = route.provider.send(request)
        except ProviderFailure as failure:
            charged = worst if failure.maybe_billed else 0
            self.budget.settle(reservation, charged)
            record(failure.kind, cost=charged, error=str(failure))
            call.failures.append(
                AttemptFailure(route.provider.name, route.model, failure.kind, failure.status)
            )
            return failure
        except BaseException:
            # Not a provider failure (a bug, an interrupt): it may have been sent.
            self.budget.settle(reservation, worst)
            raise
        input_tokens = reply.input_tokens if reply.input_tokens is not None else input_bound
        output_tokens = (
            reply.output_tokens if reply.output_tokens is not None else request.max_output_tokens
        )
        cost = cost_micros(price, input_tokens=input_tokens, output_tokens=output_tokens)
        self.budget.settle(reservation, cost)
        value: T | None = None
        error: ValidationError | None = None
        if parse is not None:
            try:
                value = parse(reply)
            except ValidationError as exc:
                error = exc
        entry = record(
            "invalid_output" if error is not None else "ok",
            cost=cost,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            provider_request_id=reply.request_id,
            answer_chars=len(reply.text),
            error=f"{error.error_count()} validation error(s)" if error is not None else None,
        )
        return _Answer(index, reply, entry, value, error)

    def _completion(self, call: _Call, answer: _Answer[T]) -> Completion:
        entry = answer.entry
        return Completion(
            text=answer.reply.text,
            provider=entry.provider,
            model=entry.model,
            input_tokens=entry.input_tokens,
            output_tokens=entry.output_tokens,
            cost_usd=entry.cost_usd,
            fallback_used=entry.fallback_used,
            call_id=call.call_id,
            attempts=tuple(call.attempts),
        )


class _Recorder:
    """Builds, logs, counts and stores the ledger entry of one attempt."""

    def __init__(
        self, client: LLMClient, call: _Call, route: Route, reserved: int, prompt_chars: int
    ) -> None:
        self._client = client
        self._call = call
        self._route = route
        self._reserved = reserved
        self._prompt_chars = prompt_chars
        self._created_at = client._clock()
        self._started = time.perf_counter()

    def __call__(
        self,
        outcome: Outcome,
        *,
        cost: int = 0,
        input_tokens: int = 0,
        output_tokens: int = 0,
        error: str | None = None,
        provider_request_id: str | None = None,
        answer_chars: int | None = None,
    ) -> LedgerEntry:
        call, route = self._call, self._route
        entry = LedgerEntry(
            id=uuid.uuid4(),
            call_id=call.call_id,
            created_at=self._created_at,
            purpose=call.purpose,
            provider=route.provider.name,
            model=route.model,
            attempt=len(call.attempts) + 1,
            outcome=outcome,
            fallback_used=route.model != self._client.default_model,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_micros=cost,
            reserved_micros=self._reserved,
            latency_ms=max(0, round((time.perf_counter() - self._started) * 1000)),
            correlation_id=call.correlation_id,
            error=error,
            provider_request_id=provider_request_id,
        )
        call.attempts.append(entry)
        LLM_CALLS.labels(entry.provider, entry.model, outcome).inc()
        if cost:
            LLM_COST_USD.labels(entry.provider, entry.model).inc(micros_to_usd(cost))
        (log.info if outcome == "ok" else log.warning)(
            "llm_attempt",
            call_id=str(call.call_id),
            purpose=call.purpose,
            provider=entry.provider,
            model=entry.model,
            attempt=entry.attempt,
            outcome=outcome,
            fallback_used=entry.fallback_used,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_usd=micros_to_usd(cost),
            reserved_usd=micros_to_usd(self._reserved),
            latency_ms=entry.latency_ms,
            prompt_chars=self._prompt_chars,
            answer_chars=answer_chars,
            error=error,
        )
        self._client._ledger.record(entry)
        return entry
