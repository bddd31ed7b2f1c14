from data_extractor.cli.main import entry

entry()
