"""The errors minigrad raises for bad shapes and indices (ValueErrors, so that
`except ValueError` catches them as it would NumPy's)."""


class ShapeError(ValueError):
    """An op received shapes it cannot combine; the message names op and shapes."""

    __module__ = "minigrad"  # raised as minigrad.ShapeError, where users import it


class BadIndexError(ShapeError, IndexError):
    """An index that does not fit the tensor (an IndexError too, as in NumPy)."""

    __module__ = "minigrad"
