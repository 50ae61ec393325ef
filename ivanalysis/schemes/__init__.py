"""The schemes: a catalogue of all 20, and one pure module per implemented scheme."""
