"""Arithmetic questions answered exactly, in her voice, without the LLM.

The 270M answer model gets every sum wrong ("2의 10제곱" → "10! 2 × 2 × 2 ×…"; docs/open-eval/README.md), and a
calculation shown to it in the prompt is copied only half the time. A message that is plainly a calculation — two
numbers and an operator in words or symbols, a power, a percentage of a number, the sum of a range, a square root,
Celsius and Fahrenheit — is answered here; anything with more in it than the sum and a few filler words ("얼마야",
"what's", "계산해 줘") goes to the model as before, so "BMI 어떻게 계산해?" or "17살인데 2살 많으면?" do not.
"""
from __future__ import annotations

import ast
import math
import operator
import re
import zlib
from dataclasses import dataclass

NUMBER = r"-?\d+(?:,\d{3})*(?:\.\d+)?"
_MAX_ABS = 1e15  # larger results are not answered as plain numbers

# operator words -> symbols (longest first)
_WORDS = (("multiplied by", "*"), ("divided by", "/"), ("곱하기", "*"), ("나누기", "/"), ("더하기", "+"),
          ("빼기", "-"), ("plus", "+"), ("minus", "-"), ("times", "*"), ("×", "*"), ("÷", "/"), ("x", "*"))
# what may stand around a calculation without making the message about something else
_FILLER = re.compile(
    r"얼마(?:야|임|예요|에요|지|냐|나와|게|인가요|일까|야\?)?|이야|이에요|예요|인가요|일까|계산(?:해\s*줘|해줘|해|하면)?|"
    r"좀|답|뭐야|뭐임|뭐지|뭐냐|는|은|이|가|을|를|야|요|다|면|하면|해\s*줘|해줘|알려\s*줘|알려줘|빨리|혹시|정답|"
    r"값|결과|몇\s*도(?:야|임|예요)?|몇|ㅋ+|ㅎ+|what'?s|whats|what|is|how|much|calculate|please|pls|equals?|the|answer|quick|math|"
    r"question|hey|can|you|tell|me|do|does|make|it|of|result|real|quick|so|um|uh|ok|okay|lol",
    re.IGNORECASE)


@dataclass(frozen=True)
class Calculation:
    """A recognised calculation: how she writes it and its value."""

    expression: str  # e.g. "17 × 23"
    value: float
    unit: str = ""   # e.g. "°F"

    def value_text(self) -> str:
        return _show(self.value) + self.unit

    def answer(self, lang: str, message: str = "") -> str:
        """Her reply: the value first, the calculation beside it (one of a few phrasings, fixed per message)."""
        v, e = self.value_text(), self.expression
        forms = ((f"정답은 {v}! ({e}) 🧮", f"{e} = {v}! 계산은 자신 있어 ✏️", f"{v}! {e}, 맞지? 🧮")
                 if lang == "ko" else
                 (f"That's {v}! ({e}) 🧮", f"{e} = {v} ✏️ numbers I can do!", f"{v}! ({e}) 🧮"))
        return forms[zlib.crc32(message.encode("utf-8")) % len(forms)]


_SIGNS = {"*": "×", "/": "÷"}  # how she writes the operators


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _show(x: float) -> str:
    """A number as she writes it: thousands separated, at most four decimals, no trailing zeros."""
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.4f}".rstrip("0").rstrip(".")


def _safe_eval(expr: str) -> float | None:
    """+ - * / ** and parentheses over numbers, nothing else (no names, no calls)."""
    ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.Pow: operator.pow}

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            a, b = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Pow) and (abs(b) > 64 or abs(a) > 1e6):
                raise ValueError("power too large")
            return ops[type(node.op)](a, b)
        raise ValueError("not arithmetic")

    try:
        value = ev(ast.parse(expr, mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError, TypeError):
        return None
    return float(value) if math.isfinite(value) and abs(value) < _MAX_ABS else None


def _only_filler(rest: str) -> bool:
    words = re.sub(r"[\s?!.,~…:=]+", " ", _FILLER.sub(" ", rest)).strip()
    return not words


def _special(text: str) -> tuple[Calculation, str] | None:
    """Calculations written in words: (the calculation, the message's other text)."""
    n = NUMBER
    forms = (
        (rf"({n})\s*부터\s*({n})\s*까지\s*(?:다\s*)?(?:더하면|더한\s*값|더해|합(?:은|이)?)", "range"),
        (rf"(?:sum\s+of\s+(?:all\s+)?(?:the\s+)?(?:numbers\s+)?|add\s+(?:up\s+)?(?:all\s+)?(?:the\s+)?(?:numbers\s+)?)"
         rf"(?:from\s+)?({n})\s+(?:to|through)\s+({n})", "range"),
        (rf"({n})\s*(?:%|percent|퍼센트|프로)\s*(?:of)\s*({n})", "percent"),
        (rf"({n})\s*의\s*({n})\s*(?:%|퍼센트|프로)", "percent_ko"),
        (rf"({n})\s*의\s*({n})\s*제곱", "power"),
        (rf"({n})\s*\^\s*({n})", "power"),
        (rf"({n})\s+to\s+the\s+power\s+of\s+({n})", "power"),
        (rf"({n})\s*(?:squared|제곱)", "square"),
        (rf"({n})\s*cubed", "cube"),
        (rf"(?:루트|√|sqrt|square\s+root\s+of)\s*({n})", "sqrt"),
        (rf"섭씨\s*({n})\s*도?\s*(?:는|을|를|면)?\s*화씨(?:로)?", "c2f"),
        (rf"화씨\s*({n})\s*도?\s*(?:는|을|를|면)?\s*섭씨(?:로)?", "f2c"),
        (rf"({n})\s*(?:°\s*)?(?:celsius|c|도)\s*(?:in|to|는|을|를|면)?\s*(?:°\s*)?(?:fahrenheit|f|화씨)(?:로)?", "c2f"),
        (rf"({n})\s*(?:°\s*)?(?:fahrenheit|f)\s*(?:in|to)?\s*(?:°\s*)?(?:celsius|c)", "f2c"),
    )
    for pattern, kind in forms:
        m = re.search(pattern, text, re.IGNORECASE)
        if not m:
            continue
        a = _number(m.group(1))
        b = _number(m.group(2)) if m.lastindex and m.lastindex >= 2 else 0.0
        rest = text[:m.start()] + " " + text[m.end():]
        if kind == "range":
            lo, hi = min(a, b), max(a, b)
            if not (lo.is_integer() and hi.is_integer()) or hi - lo > 1e7:
                return None
            calc = Calculation(f"{_show(lo)} + … + {_show(hi)}", (lo + hi) * (hi - lo + 1) / 2)
        elif kind in ("percent", "percent_ko"):
            pct, base = (a, b) if kind == "percent" else (b, a)
            calc = Calculation(f"{_show(base)} × {_show(pct)}%", base * pct / 100)
        elif kind in ("power", "square", "cube"):
            exp = {"square": 2.0, "cube": 3.0}.get(kind, b)
            value = _safe_eval(f"({a})**({exp})")
            if value is None:
                return None
            calc = Calculation(f"{_show(a)}^{_show(exp)}", value)
        elif kind == "sqrt":
            if a < 0:
                return None
            calc = Calculation(f"√{_show(a)}", math.sqrt(a))
        elif kind == "c2f":
            calc = Calculation(f"{_show(a)}°C", round(a * 9 / 5 + 32, 2), "°F")
        else:
            calc = Calculation(f"{_show(a)}°F", round((a - 32) * 5 / 9, 2), "°C")
        return calc, rest
    return None


def solve(message: str) -> Calculation | None:
    """The calculation a message asks for, or None when it is not plainly one (then the model answers)."""
    text = message.strip()
    if not text or len(text) > 120 or not re.search(r"\d", text):
        return None
    found = _special(text)
    if found is not None:
        calc, rest = found
        return calc if _only_filler(rest) and abs(calc.value) < _MAX_ABS else None
    symbolic = text
    for word, sym in _WORDS:
        pattern = rf"(?<=[\d\s)]){re.escape(word)}(?=[\s\d(])" if word == "x" else re.escape(word)
        symbolic = re.sub(pattern, f" {sym} ", symbolic, flags=re.IGNORECASE)
    # the longest run of numbers, operators and parentheses holding at least one operator between two numbers
    best = None
    for m in re.finditer(r"[\d.,()\s+\-*/]+", symbolic):
        span = m.group().strip()
        if re.search(r"\d[\s)]*[+\-*/][\s(]*-?\d", span) and (best is None or len(span) > len(best.group().strip())):
            best = m
    if best is None:
        return None
    expr = best.group().strip()
    if re.search(r"\d,\d{1,2}(?!\d)", expr):  # "3,4" is a list, not a number
        return None
    value = _safe_eval(expr.replace(",", ""))
    rest = symbolic[:best.start()] + " " + symbolic[best.end():]
    if value is None or not _only_filler(rest):
        return None
    shown = re.sub(r"\s*([+\-*/])\s*", lambda o: f" {_SIGNS.get(o.group(1), o.group(1))} ", expr.replace(",", ""))
    return Calculation(re.sub(r"\s+", " ", shown).strip(), value)
