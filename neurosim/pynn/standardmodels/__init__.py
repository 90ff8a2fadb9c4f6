"""The PyNN standard models that neurosim provides (cells, synapses, current sources)."""
