"""The package's import graph as a house: each module's floor (1 + the highest floor among
the project modules it imports; a module importing none is on floor 1), the longest chain
of imports, the modules a given module pulls in (transitively) and whether JAX is among
them, and every import that runs upward (from a layer to one above it).

  python scripts/import_layers.py [--of rsir_jax.tools.report,configs/sasrec_beauty.py]
      [--layers=errors,parallel,config,data,models,files,train,generate,run,tools]

Only imports at a module's top level count (a function's lazy import does not). Run from
the repository root.
"""

import argparse
import ast
import os
import sys

PACKAGE = "rsir_jax"
THIRD_PARTY_JAX = ("jax", "flax", "optax", "orbax")


def _module_name(path: str) -> str:
  name = os.path.splitext(path)[0].replace(os.sep, ".")
  return name[:-len(".__init__")] if name.endswith(".__init__") else name


def _top_level_imports(path: str, name: str, modules=()) -> set[str]:
  """Modules imported at the top level of the file: `from package import module` counts as
  that module (not the package's face) when `modules` holds it."""
  with open(path) as f:
    tree = ast.parse(f.read())
  out = set()
  package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
  for node in tree.body:
    if isinstance(node, ast.Import):
      out.update(a.name for a in node.names)
    elif isinstance(node, ast.ImportFrom):
      base = node.module or ""
      if node.level:
        parts = package.split(".")
        base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
      for a in node.names:
        out.add(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base)
  return out


def graph(root: str = PACKAGE) -> dict[str, set[str]]:
  """module -> the project modules it imports at its top level."""
  files = {}
  for folder, _, names in os.walk(root):
    for n in names:
      if n.endswith(".py"):
        path = os.path.join(folder, n)
        files[_module_name(path)] = path
  edges = {}
  for name, path in files.items():
    imported = _top_level_imports(path, name, files)
    edges[name] = {m for m in imported if m in files and m != name}
  return edges, files


def floors(edges: dict[str, set[str]]) -> dict[str, int]:
  memo = {}

  def floor(m, seen=()):
    if m in memo:
      return memo[m]
    if m in seen:
      raise ValueError(f"import cycle through {m}")
    memo[m] = 1 + max((floor(d, seen + (m,)) for d in edges[m]), default=0)
    return memo[m]

  for m in edges:
    floor(m)
  return memo


def longest_chain(edges, floor_of) -> list[str]:
  top = max(floor_of, key=floor_of.get)
  chain = [top]
  while edges[chain[-1]]:
    chain.append(max(edges[chain[-1]], key=floor_of.get))
  return chain


def pulled_in(path: str, edges, files) -> tuple[set[str], set[str]]:
  """Project modules and third-party top-level packages that importing `path` loads."""
  name = _module_name(path) if path.endswith(".py") and not path.startswith(PACKAGE) else path
  if name in files:
    start = _top_level_imports(files[name], name, files)
  else:
    start = _top_level_imports(path, _module_name(path), files)
  todo, seen, third = list(start), set(), set()
  while todo:
    m = todo.pop()
    if m in files:
      if m not in seen:
        seen.add(m)
        todo.extend(_top_level_imports(files[m], m, files))
    elif not m.startswith(PACKAGE):
      third.add(m.split(".")[0])
  return seen, third


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--of", default="", help="modules or files whose imports to list")
  parser.add_argument("--layers", default="", help="subpackage names, lowest first")
  args = parser.parse_args()
  sys.setrecursionlimit(10000)
  edges, files = graph()
  floor_of = floors(edges)
  chain = longest_chain(edges, floor_of)
  print(f"{len(files)} modules, {max(floor_of.values())} floors; longest chain "
        f"({len(chain)} modules): {' -> '.join(chain)}")
  for m in sorted(files, key=lambda m: (floor_of[m], m)):
    print(f"  floor {floor_of[m]:2d}  {m}")
  for target in filter(None, args.of.split(",")):
    mods, third = pulled_in(target, edges, files)
    jax_in = sorted(set(third) & set(THIRD_PARTY_JAX))
    print(f"{target} pulls in {len(mods)} project modules; JAX-family packages: "
          f"{', '.join(jax_in) or 'none'}")
  if args.layers:
    order = args.layers.split(",")
    rank = lambda m: next((i for i, l in enumerate(order)
                           if m == f"{PACKAGE}.{l}" or m.startswith(f"{PACKAGE}.{l}.")), None)
    upward = [(a, b) for a in edges for b in edges[a]
              if rank(a) is not None and rank(b) is not None and rank(b) > rank(a)]
    print(f"imports that run upward: {len(upward)}")
    for a, b in sorted(upward):
      print(f"  {a} -> {b}")


if __name__ == "__main__":
  main()
