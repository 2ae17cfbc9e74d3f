"""The expression-direction pipeline: score faces from pixels, sample a dataset, fit directions, evaluate.

`ohlora vectors find` runs sampling + fitting and writes weights/directions/<generator>.safetensors;
`ohlora vectors eval` sweeps each control on faces not used for fitting and writes the measurement table;
`ohlora vectors speech` reads her face while she talks through an avatar session.
MediaPipe (the optional `vectors` extra) is needed only here, never by the server.
"""

# its modules; each is imported where it is used (`from render.vectors import <module>`)
__all__ = ["commands", "evaluation", "fidelity", "fitting", "identity", "sampling", "scoring", "speech"]
