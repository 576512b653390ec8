"""Lambda entry points: parse the event, bind logging, call one function, emit metrics."""
