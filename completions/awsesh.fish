complete --keep-order --exclusive --command awsesh --arguments "(_AWSESH_COMPLETE=fish awsesh -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
