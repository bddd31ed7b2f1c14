from data_extractor.cli.launch import entry

entry()
