"""Demo data: the sandbox's made-up Instagram world, used by `flask vistaflow demo` and the sandbox adapter."""
