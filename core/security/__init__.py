"""Password hashing, access tokens and other security primitives."""
