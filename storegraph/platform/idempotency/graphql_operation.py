"""Which kind of operation a GraphQL request runs, told from its first tokens, before admission.

Only a mutation takes part in idempotency on ``POST /graphql``: a query sent with an ``Idempotency-Key`` runs like
any read, its key neither reserved nor kept. The key is reserved in the same step as the rate limit, before the
endpoint parses the document, so this reads just enough of it to know: usually the first token or two
(``mutation Name``, ``query``, ``{``). Lexing stops after ``max_tokens`` tokens, so a request the limits refuse
costs little however large its document.

The answer only ever says ``query`` when graphql-core's own rule (``get_operation_ast``) would not run a mutation:
the operation named ``operation_name``, else the document's first (a document of several operations without a
name is refused by the endpoint, so which of them is first does not matter). Anything it cannot tell (a syntax
error, a document whose operation lies past ``max_tokens``) is ``None``, and the request keeps its claim; the
endpoint then says what ran (``mark_mutation``), and only a mutation's answer is kept.
"""

from __future__ import annotations

from typing import Any, Literal

from graphql import GraphQLSyntaxError
from graphql.language import Lexer, Source, TokenKind

OperationKind = Literal["query", "mutation", "subscription"]
# Enough for any operation written first, and for a few fragments before it.
DEFAULT_MAX_TOKENS = 2_000
_OPERATION_KEYWORDS: frozenset[str] = frozenset({"query", "mutation", "subscription"})
_OPENING = frozenset({TokenKind.BRACE_L, TokenKind.PAREN_L, TokenKind.BRACKET_L})
_CLOSING = frozenset({TokenKind.BRACE_R, TokenKind.PAREN_R, TokenKind.BRACKET_R})


def request_operation(request: Any, max_tokens: int = DEFAULT_MAX_TOKENS) -> OperationKind | None:
    """The kind of operation a parsed ``POST /graphql`` body selects, if it can be told cheaply."""
    if not isinstance(request, dict) or not isinstance(request.get("query"), str):
        return None
    name = request.get("operationName")
    return operation_kind(request["query"], name if isinstance(name, str) else None, max_tokens)


def operation_kind(
    document: str, operation_name: str | None, max_tokens: int = DEFAULT_MAX_TOKENS
) -> OperationKind | None:
    lexer = Lexer(Source(document))
    depth = 0
    # At depth 0 between definitions, the next token starts one; inside one, only its brackets matter.
    in_definition = False
    keyword: str | None = None  # an operation keyword just read, waiting for the operation's name
    try:
        for _ in range(max_tokens):
            token = lexer.advance()
            if token.kind is TokenKind.EOF:
                return None
            if keyword is not None:
                name = token.value if token.kind is TokenKind.NAME else None
                if operation_name is None or name == operation_name:
                    return _kind(keyword)
                keyword = None
            elif depth == 0 and not in_definition:
                in_definition = True
                if token.kind is TokenKind.BRACE_L and operation_name is None:
                    return "query"  # the query shorthand: `{ ... }`
                if token.kind is TokenKind.NAME and token.value in _OPERATION_KEYWORDS:
                    keyword = token.value
                    continue
                if token.kind is not TokenKind.BRACE_L and token.value != "fragment":
                    return None  # not an executable document: the endpoint refuses it
            if token.kind in _OPENING:
                depth += 1
            elif token.kind in _CLOSING:
                depth -= 1
                if depth == 0 and token.kind is TokenKind.BRACE_R:
                    in_definition = False
    except GraphQLSyntaxError:
        return None
    return None


def _kind(keyword: str) -> OperationKind:
    if keyword == "mutation":
        return "mutation"
    return "subscription" if keyword == "subscription" else "query"
