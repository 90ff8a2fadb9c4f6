"""Physical units, re-exported from Brian2's unit system.

neurosim checks dimensions where the user hands a value in (``5*ms`` for a time
constant, ``-50*mV`` for a threshold) and works in plain SI floats inside:
seconds, volts, amperes, siemens, farads, hertz. Results come back in SI too
(spike times in seconds, membrane potentials in volts) unless a function says
otherwise.

Examples
--------
>>> from neurosim.units import ms, mV
>>> float(20*ms)
0.02
"""
import sys

_hook = sys.excepthook
from brian2.units import (Hz, amp, farad, kHz, metre, mA, mV, ms, nA, nF, nS,
                          ohm, pA, pF, second, siemens, uA, uS, us, volt)
from brian2.units.fundamentalunits import (DIMENSIONLESS, Quantity,
                                           get_dimensions)

# Importing brian2 replaces the interpreter's exception hook with one that asks
# users to report every error as a Brian2 bug; neurosim's errors are not.
sys.excepthook = _hook

Mohm = ohm * 1e6

__all__ = ["Hz", "kHz", "second", "ms", "us", "volt", "mV", "amp", "mA", "uA",
           "nA", "pA", "siemens", "uS", "nS", "farad", "nF", "pF", "ohm",
           "Mohm", "metre", "Quantity", "get_dimensions", "DIMENSIONLESS"]
