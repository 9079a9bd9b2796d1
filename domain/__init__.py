"""Pure domain of the order system: messages, validation, folds. No Kafka, no Faust, no I/O."""
