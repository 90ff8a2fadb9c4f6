"""Brian2 equations written from an :class:`~neurosim.ODEModel`'s Python rules.

The model's ``derivatives``, ``threshold`` and ``reset`` are read as Python
source (their syntax trees) and written in Brian2's language:

* each assignment in ``derivatives`` becomes a subexpression, each returned
  derivative a differential equation; ``p.<name>`` becomes the shared
  parameter ``name``, ``i_ext`` the exporter's ``I_ext``, the state arguments
  the model's public state variables;
* ``math.exp`` (``np.exp``, ``exp``) and the functions Brian2 knows become
  themselves; a helper of the model is named in its ``brian2_functions``
  (``{"_exprel": "exprel"}``);
* ``threshold``'s returned condition becomes the threshold, ``reset``'s returned
  tuple the reset statements (variables it returns unchanged are left out).

Every quantity is in SI units as numbers, as neurosim holds them: variables and
parameters are declared dimensionless and each derivative is divided by
``second``, so that Brian2's unit checks hold. The integration method is the
model's (Brian2 has the same names, ``exact`` included).
"""
import ast
import inspect
import textwrap

from ._brian2_errors import Brian2ExportError

__all__ = ["ode_spec"]

# functions with the same name and meaning in Brian2
_BRIAN2_FUNCTIONS = {"exp", "log", "log10", "sqrt", "sin", "cos", "tan", "sinh", "cosh",
                     "tanh", "arcsin", "arccos", "arctan", "abs", "floor", "ceil", "exprel",
                     "clip", "sign"}
_MODULES = {"math", "np", "numpy"}


def ode_spec(model, dt):
    """The keyword arguments of ``_Spec`` for an ODEModel instance (see the module)."""
    cls = type(model)
    kernel = model.kernel
    if kernel.receive is not None:
        raise Brian2ExportError(f"{cls.__name__}: its input jumps on v through a receive rule, "
                                "which has no generated Brian2 form; give the model a "
                                "brian2_equations(dt) method")
    public = {internal: name for name, (internal, _, _) in model.state_variables.items()}
    names = [public.get(x, x) for x in ("v", "ge", "gi") + kernel.extra_state]
    funcs = dict(getattr(cls, "brian2_functions", {}))
    derivs = _function(cls, "derivatives")
    args = [a.arg for a in derivs.args.args]
    state_args, i_ext_arg, p_arg = args[:len(names)], args[len(names)], args[len(names) + 1]
    rename = dict(zip(state_args, names), **{i_ext_arg: "I_ext"})
    lines, returned = _body(cls, "derivatives", derivs, rename, p_arg, funcs)
    if len(returned) != len(names):
        raise Brian2ExportError(f"{cls.__name__}.derivatives returns {len(returned)} values; "
                                f"expected {len(names)} ({', '.join(names)})")
    equations = []
    for name, expr in zip(names, returned):
        if expr in ("0.0", "0"):
            if name in ("ge", "gi"):
                continue            # an unused input variable: declared below
            equations.append(f"{name} : 1")
            continue
        unless = " (unless refractory)" if name == names[0] and cls.hold_v else ""
        equations.append(f"d{name}/dt = ({expr}) / second : 1{unless}")
    for name in names[1:3]:
        if not any(e.startswith((f"d{name}/dt", f"{name} :")) for e in equations):
            equations.append(f"{name} : 1")
    equations += [f"{name} = {expr} : 1" for name, expr in lines]

    threshold_fn = _function(cls, "threshold")
    t_rename = dict(zip([a.arg for a in threshold_fn.args.args][:len(names)], names))
    _, (threshold,) = _body(cls, "threshold", threshold_fn, t_rename,
                            threshold_fn.args.args[len(names)].arg, funcs, single=True)
    reset_fn = _function(cls, "reset")
    r_args = [a.arg for a in reset_fn.args.args]
    r_rename = dict(zip(r_args[:len(names)], names))
    pre, after = _body(cls, "reset", reset_fn, r_rename, r_args[len(names)], funcs)
    reset = [f"{name} = {expr}" for name, expr in pre]
    reset += [f"{name} = {expr}" for name, expr in zip(names, after) if expr != name]

    values = model.parameter_values(dt)
    # the exact method's propagator is neurosim's: Brian2's method='exact' derives its own
    generated = ("dt", "n_ref") + getattr(cls, "_generated_parameters", ())
    params = {k: (float(v), "1") for k, v in values.items() if k not in generated}
    refractory = False
    if values.get("n_ref", 0):
        params["t_ref"] = (values["n_ref"] * dt, "second")
        refractory = "t_ref"
    return dict(equations="\n".join(equations) + "\n", params=params,
                threshold=threshold, reset="\n".join(reset), refractory=refractory,
                method=cls.method, weight_unit="1", current_unit="1",
                input_var=(names[1], names[2]),
                on_pre={"excitatory": f"{names[1]}_post += w",
                        "inhibitory": f"{names[2]}_post += w"})


def _function(cls, name):
    func = getattr(cls, name)
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError) as err:
        raise Brian2ExportError(f"{cls.__name__}.{name}: its source is not available ({err}), "
                                "so no Brian2 equations can be written from it; give the "
                                "model a brian2_equations(dt) method") from None
    tree = ast.parse(source)
    node = tree.body[0]
    if isinstance(node, ast.Assign) or not isinstance(node, ast.FunctionDef):
        raise Brian2ExportError(f"{cls.__name__}.{name} must be a function written with def "
                                "to be exported to Brian2")
    return node


def _body(cls, name, func, rename, p_arg, funcs, single=False):
    """``(assignments, returned)``: the function's ``name = expr`` lines and its
    returned expressions, in Brian2's language."""
    lines, local = [], {}
    for stmt in func.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue            # the docstring
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], ast.Name):
            target = stmt.targets[0].id
            local[target] = target
            lines.append((target, _expr(cls, name, stmt.value, rename, p_arg, funcs, local)))
        elif isinstance(stmt, ast.Return):
            values = stmt.value.elts if isinstance(stmt.value, ast.Tuple) and not single \
                else [stmt.value]
            returned = [_expr(cls, name, v, rename, p_arg, funcs, local) for v in values]
            # a returned name that only holds an assignment: its expression
            inline = dict(lines)
            returned = [inline.pop(r) if r in inline and r not in rename.values() else r
                        for r in returned]
            lines = [(k, v) for k, v in lines if k in inline]
            return lines, returned
        else:
            raise Brian2ExportError(
                f"{cls.__name__}.{name}, line {stmt.lineno}: only assignments and a return "
                "can be written as Brian2 equations; give the model a brian2_equations(dt) "
                "method")
    raise Brian2ExportError(f"{cls.__name__}.{name} returns nothing")


def _expr(cls, name, node, rename, p_arg, funcs, local):
    class _Translate(ast.NodeTransformer):
        def visit_Attribute(self, n):
            if isinstance(n.value, ast.Name) and n.value.id == p_arg:
                return ast.copy_location(ast.Name(n.attr, ast.Load()), n)
            if isinstance(n.value, ast.Name) and n.value.id in _MODULES and \
                    n.attr in _BRIAN2_FUNCTIONS:
                return ast.copy_location(ast.Name(n.attr, ast.Load()), n)
            raise Brian2ExportError(f"{cls.__name__}.{name}: {ast.unparse(n)} has no Brian2 "
                                    "counterpart")

        def visit_Name(self, n):
            if n.id in rename:
                return ast.copy_location(ast.Name(rename[n.id], ast.Load()), n)
            if n.id in funcs:
                return ast.copy_location(ast.Name(funcs[n.id], ast.Load()), n)
            if n.id in local or n.id in _BRIAN2_FUNCTIONS:
                return n
            raise Brian2ExportError(f"{cls.__name__}.{name}: the name {n.id!r} has no Brian2 "
                                    "counterpart; map a helper function in the model's "
                                    "brian2_functions")

        def visit_IfExp(self, n):
            raise Brian2ExportError(f"{cls.__name__}.{name}: a conditional expression has no "
                                    "Brian2 form here; give the model a brian2_equations(dt) "
                                    "method")

    return ast.unparse(_Translate().visit(node))
