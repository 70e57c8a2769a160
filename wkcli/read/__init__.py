"""Reading dumps: open and cut the input into values, unwrap them into messages, account for every record."""
