"""The Assessio connector component, loaded with wasmtime-py's component API.

    from connector import Connector, Refused
    plugin = Connector.load()                      # the built plugin, no imports granted
    header = plugin.assessio.sign_request("whsec_test_secret", 1700000000, b'{"resultId":"r-1"}')
    # {'name': 'Signature', 'value': 't=1700000000,signature=8bdab4ad…'}

Values have the shapes `assessio call` reads and prints (README, "Calling the
plugin from the command line"), read from the component's own types:

- a record is a dict with the WIT's kebab-case names (snake_case keys are
  accepted too: `first_name` for `first-name`);
- an enum case is a string; a variant case is a string when it has no payload
  and `{"case": payload}` when it has one;
- an option is the value or None (a missing record field is None);
- `list<u8>` is bytes (str is accepted and sent as UTF-8); a tuple is a tuple;
- a function returning `result<T, E>` returns T, or raises `Refused` carrying E.

Every call runs in a fresh store and instance, so one call cannot leave state
for the next, as the Rust host does it, under a memory cap (64 MiB by
default) and a fuel budget (a bound on the work one call may do, instead of
the Rust host's wall-clock deadline); a call stopped by either raises
`Stopped`.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

import wasmtime
from wasmtime import component as wc

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEFAULT_PLUGIN = os.path.join(ROOT, "target", "wasm32-wasip2", "plugin", "assessio_plugin.wasm")
PACKAGE = "assessio:connector"
VERSION = "0.1.0"


class Refused(Exception):
    """The connector refused the input: `error` is the WIT error value,
    e.g. {"missing": "candidate.last-name"} or "mismatch"."""

    def __init__(self, function: str, error: Any):
        super().__init__(f"{function} refused: {error!r}")
        self.function = function
        self.error = error


class Stopped(Exception):
    """The plugin was stopped: out of fuel, or trapped (a memory cap reached
    traps too). The plugin never traps on bad input; it returns `Refused`."""


class Connector:
    """The loaded component and one namespace per exported interface:
    `.assessio`, `.hubs`, `.kombo`, `.teamtailor`, `.stackone`."""

    def __init__(self, wasm: bytes, memory_mib: int = 64, fuel: int = 1_000_000_000):
        # Parsing a 4 MiB body takes about 35 million units of fuel.
        config = wasmtime.Config()
        config.consume_fuel = True
        self.engine = wasmtime.Engine(config)
        self.memory_mib = memory_mib
        self.fuel = fuel
        self.component = wc.Component(self.engine, wasm)
        ty = self.component.type
        # The contract: the plugin imports nothing, so an empty linker is all it gets.
        self.imports = sorted(ty.imports(self.engine))
        if self.imports:
            raise RuntimeError(f"the plugin imports {self.imports}; it must import nothing")
        self.interfaces: Dict[str, Dict[str, wc.FuncType]] = {}
        for name, item in ty.exports(self.engine).items():
            kind = item.ty
            if not isinstance(kind, wc.ComponentInstanceType):
                continue
            funcs = {n: f.ty for n, f in kind.exports(self.engine).items() if isinstance(f.ty, wc.FuncType)}
            self.interfaces[name] = funcs
        self.linker = wc.Linker(self.engine)
        for name in self.interfaces:
            short = name.split("/", 1)[1].split("@", 1)[0]
            setattr(self, short.replace("-", "_"), _Interface(self, name))

    @classmethod
    def load(cls, path: Optional[str] = None, **limits: int) -> "Connector":
        with open(path or os.environ.get("ASSESSIO_PLUGIN", DEFAULT_PLUGIN), "rb") as f:
            return cls(f.read(), **limits)

    def functions(self) -> List[str]:
        """Every exported function as `<interface>.<function>`."""
        out = []
        for iface, funcs in self.interfaces.items():
            short = iface.split("/", 1)[1].split("@", 1)[0]
            out.extend(f"{short}.{f}" for f in funcs)
        return out

    def call(self, name: str, args: Any = None, **kwargs: Any) -> Any:
        """Calls `<interface>.<function>` (kebab-case, as in the WIT) with
        positional `args` (a list) or named arguments (a dict or keywords)."""
        iface, _, func = name.partition(".")
        full = f"{PACKAGE}/{iface}@{VERSION}"
        if full not in self.interfaces or func not in self.interfaces[full]:
            raise LookupError(f"`{name}` is not exported; these are: {', '.join(self.functions())}")
        fty = self.interfaces[full][func]
        params = fty.params
        if isinstance(args, dict):
            kwargs = {**args, **kwargs}
            args = None
        values = _bind(name, params, list(args or []), kwargs)
        lowered = [to_wasm(ty, v, pname) for (pname, ty), v in zip(params, values)]

        store = wasmtime.Store(self.engine)
        store.set_limits(memory_size=self.memory_mib << 20)
        store.set_fuel(self.fuel)
        try:
            instance = self.linker.instantiate(store, self.component)
            index = instance.get_export_index(store, full)
            f = instance.get_func(store, instance.get_export_index(store, func, index))
            assert f is not None
            raw = f(store, *lowered)
        except (wasmtime.WasmtimeError, wasmtime.Trap) as e:
            why = "ran out of fuel" if store.get_fuel() == 0 else "trapped"
            raise Stopped(f"{name} {why}: {str(e).splitlines()[0]}") from e

        result_ty = fty.result
        if result_ty is None:
            return None
        if isinstance(result_ty, wc.ResultType):
            case, payload = _which_case(result_ty, raw)
            if case == "err":
                raise Refused(name, from_wasm(result_ty.err, payload))
            return from_wasm(result_ty.ok, payload)
        return from_wasm(result_ty, raw)


class _Interface:
    """`plugin.kombo.result_request(...)` → `plugin.call("kombo.result-request", ...)`."""

    def __init__(self, connector: Connector, full: str):
        self._connector = connector
        self._short = full.split("/", 1)[1].split("@", 1)[0]

    def __getattr__(self, attr: str) -> Any:
        name = f"{self._short}.{attr.replace('_', '-')}"

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._connector.call(name, list(args), **kwargs)

        call.__name__ = attr
        return call


def _bind(name: str, params: List[Tuple[str, Any]], args: List[Any], kwargs: Dict[str, Any]) -> List[Any]:
    if len(args) > len(params):
        raise TypeError(f"{name} takes {len(params)} arguments, {len(args)} given")
    kw = {k.replace("_", "-"): v for k, v in kwargs.items()}
    names = [p for p, _ in params]
    unknown = set(kw) - set(names)
    if unknown:
        raise TypeError(f"{name} has no parameter {', '.join(sorted(unknown))}; it takes {', '.join(names)}")
    values = []
    for i, (pname, ty) in enumerate(params):
        if i < len(args):
            values.append(args[i])
        elif pname in kw:
            values.append(kw[pname])
        elif isinstance(ty, wc.OptionType):
            values.append(None)
        else:
            raise TypeError(f"{name}: `{pname}` is required")
    return values


# --- JSON-like values <-> wasmtime-py component values ---------------------
#
# wasmtime-py lowers a record from any object with attributes of the WIT's
# (kebab-case) field names, and lifts one into a `wasmtime.component.Record`
# with those attributes. A variant, option or result is a tagged `Variant`
# only when the Python classes of its cases overlap; otherwise it is the bare
# payload (None for a case without one), and only the type tells the cases
# apart. These helpers hide both behind plain dicts, as `assessio call` does.

_INTS = {
    wc.U8: (0, 2**8 - 1), wc.U16: (0, 2**16 - 1), wc.U32: (0, 2**32 - 1), wc.U64: (0, 2**64 - 1),
    wc.S8: (-(2**7), 2**7 - 1), wc.S16: (-(2**15), 2**15 - 1),
    wc.S32: (-(2**31), 2**31 - 1), wc.S64: (-(2**63), 2**63 - 1),
}


def _cases(ty: Any) -> List[Tuple[str, Any]]:
    if isinstance(ty, wc.OptionType):
        return [("none", None), ("some", ty.payload)]
    if isinstance(ty, wc.ResultType):
        return [("ok", ty.ok), ("err", ty.err)]
    return list(ty.cases)


def _classes(ty: Any) -> Set[type]:
    s: Set[type] = set()
    if ty is None:
        s.add(object)
    else:
        ty.add_classes(s)
    return s


def _tagged(ty: Any) -> bool:
    """Whether wasmtime-py represents values of this variant-like type as a
    `Variant` (the Python classes of two cases overlap) or as the bare payload."""
    seen: Set[type] = set()
    for _, cty in _cases(ty):
        c = _classes(cty)
        if c & seen:
            return True
        seen |= c
    return False


def _which_case(ty: Any, raw: Any) -> Tuple[str, Any]:
    if _tagged(ty):
        return raw.tag, raw.payload
    for case, cty in _cases(ty):
        if cty is None:
            if raw is None:
                return case, None
        elif isinstance(raw, tuple(_classes(cty))):
            return case, raw
    raise ValueError(f"no case of the type fits {raw!r}")


def _variant_value(ty: Any, case: str, payload: Any) -> Any:
    return wc.Variant(case, payload) if _tagged(ty) else payload


def to_wasm(ty: Any, v: Any, path: str = "value") -> Any:
    """A JSON-like value → what wasmtime-py lowers as `ty`."""
    if isinstance(ty, wc.Bool):
        if not isinstance(v, bool):
            raise TypeError(f"`{path}` must be true or false")
        return v
    if type(ty) in _INTS:
        lo, hi = _INTS[type(ty)]
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise TypeError(f"`{path}` must be a whole number from {lo} to {hi}")
        return v
    if isinstance(ty, (wc.F32, wc.F64)):
        return float(v)
    if isinstance(ty, (wc.String, wc.Char)):
        if not isinstance(v, str):
            raise TypeError(f"`{path}` must be a string")
        return v
    if isinstance(ty, wc.EnumType):
        if v not in ty.names:
            raise TypeError(f"`{path}` must be one of {', '.join(ty.names)}")
        return v
    if isinstance(ty, wc.ListType):
        if isinstance(ty.element, wc.U8):
            if isinstance(v, str):
                return v.encode("utf-8")
            if isinstance(v, (bytes, bytearray, memoryview)):
                return bytes(v)
            raise TypeError(f"`{path}` must be bytes or text")
        if not isinstance(v, (list, tuple)):
            raise TypeError(f"`{path}` must be a list")
        return [to_wasm(ty.element, e, f"{path}[{i}]") for i, e in enumerate(v)]
    if isinstance(ty, wc.TupleType):
        if not isinstance(v, (list, tuple)) or len(v) != len(ty.elements):
            raise TypeError(f"`{path}` must be a list of {len(ty.elements)}")
        return tuple(to_wasm(t, e, f"{path}[{i}]") for i, (t, e) in enumerate(zip(ty.elements, v)))
    if isinstance(ty, wc.RecordType):
        if not isinstance(v, dict):
            raise TypeError(f"`{path}` must be an object")
        given = {k.replace("_", "-"): val for k, val in v.items()}
        fields = ty.fields
        unknown = set(given) - {n for n, _ in fields}
        if unknown:
            raise TypeError(f"`{path}.{sorted(unknown)[0]}` is not a field here")
        rec = wc.Record()
        for fname, fty in fields:
            if fname not in given and not isinstance(fty, wc.OptionType):
                raise TypeError(f"`{path}.{fname}` is required")
            setattr(rec, fname, to_wasm(fty, given.get(fname), f"{path}.{fname}"))
        return rec
    if isinstance(ty, wc.OptionType):
        if v is None:
            return _variant_value(ty, "none", None)
        return _variant_value(ty, "some", to_wasm(ty.payload, v, path))
    if isinstance(ty, (wc.VariantType, wc.ResultType)):
        cases = dict(_cases(ty))
        if isinstance(v, str) and v in cases and cases[v] is None:
            return _variant_value(ty, v, None)
        if isinstance(v, dict) and len(v) == 1:
            (case, payload), = v.items()
            if case in cases and cases[case] is not None:
                return _variant_value(ty, case, to_wasm(cases[case], payload, f"{path}.{case}"))
        raise TypeError(f"`{path}` must be one of {', '.join(cases)}")
    if isinstance(ty, wc.FlagsType):
        return set(v)
    raise TypeError(f"`{path}`: {type(ty).__name__} is not supported here")


def from_wasm(ty: Any, v: Any) -> Any:
    """What wasmtime-py lifted as `ty` → a JSON-like value."""
    if ty is None:
        return None
    if isinstance(ty, wc.RecordType):
        return {name: from_wasm(fty, getattr(v, name)) for name, fty in ty.fields}
    if isinstance(ty, wc.ListType):
        if isinstance(ty.element, wc.U8):
            return bytes(v)
        return [from_wasm(ty.element, e) for e in v]
    if isinstance(ty, wc.TupleType):
        return tuple(from_wasm(t, e) for t, e in zip(ty.elements, v))
    if isinstance(ty, wc.OptionType):
        case, payload = _which_case(ty, v)
        return None if case == "none" else from_wasm(ty.payload, payload)
    if isinstance(ty, (wc.VariantType, wc.ResultType)):
        case, payload = _which_case(ty, v)
        cty = dict(_cases(ty))[case]
        return case if cty is None else {case: from_wasm(cty, payload)}
    if isinstance(ty, wc.FlagsType):
        return sorted(v)
    return v


def as_json(value: Any) -> Any:
    """A value as `assessio call` prints it: bytes as text (or `*-base64` in
    the CLI, for bytes that are not UTF-8: not needed here), tuples as lists."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_json(v) for v in value]
    return value


def header(request: Dict[str, Any], name: str) -> Optional[str]:
    """The value of a header of an `http-request`, by name, ignoring case."""
    for h in request["headers"]:
        if h["name"].lower() == name.lower():
            return h["value"]
    return None


__all__: Iterable[str] = ["Connector", "Refused", "Stopped", "to_wasm", "from_wasm", "as_json", "header", "DEFAULT_PLUGIN", "ROOT"]
