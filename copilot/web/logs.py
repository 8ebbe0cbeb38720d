"""Log lines never carry personal data: one logging filter masks every record (the message,
its arguments, a traceback) with `mask_pii`, and the request line of uvicorn's access log with
`mask_url` (a phone number in a path or a query string, percent-encoded or not).

`LOG_CONFIG` is the uvicorn logging configuration `copilot serve` uses: the filter sits on every
handler, so records of any logger (uvicorn's, the copilot's, libraries') pass through it.
`install_log_masking()` also puts it on the loggers the web service itself writes to, for apps
run without that configuration (tests, other ASGI servers).

The access log's client address is the one copilot.web.proxy resolved (uvicorn reads the same
ASGI scope): the direct peer, or the client behind a trusted proxy; `copilot serve` turns off
uvicorn's own forwarded-header handling so that only `server.trusted_proxies` decides."""

from __future__ import annotations

import logging

from copilot.safety.masking import mask_pii, mask_url

_LOGGERS = ("uvicorn.access", "uvicorn.error", "copilot")


class MaskingFilter(logging.Filter):
    """Masks the record in place; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        # The message and each argument are masked apart, so formatters that read the
        # arguments (uvicorn's access formatter unpacks the request line from them) still work.
        if isinstance(record.msg, str):
            record.msg = mask_url(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_masked(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _masked(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            # exception messages quote values (an IntegrityError its parameters)
            record.exc_text = mask_pii(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = mask_pii(record.stack_info)
        return True


def _masked(arg):
    if arg is None or isinstance(arg, int | float):
        return arg  # numbers keep their %d / %.1f formatting
    text = arg if isinstance(arg, str) else str(arg)
    masked = mask_url(text)
    return arg if masked == text else masked


def install_log_masking() -> None:
    """The filter on the loggers the web service writes to (idempotent)."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskingFilter) for f in logger.filters):
            logger.addFilter(MaskingFilter())


LOG_CONFIG: dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask": {"()": MaskingFilter}},
    "formatters": {
        "default": {
            "()": "uvicorn.logging.DefaultFormatter",
            "fmt": "%(levelprefix)s %(message)s",
            "use_colors": None,
        },
        "access": {
            "()": "uvicorn.logging.AccessFormatter",
            "fmt": '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s',
        },
    },
    "handlers": {
        "default": {
            "formatter": "default",
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "filters": ["mask"],
        },
        "access": {
            "formatter": "access",
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["mask"],
        },
    },
    "loggers": {
        "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["default"], "level": "INFO"},
}
