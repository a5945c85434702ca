from msdunet.cli.main import main

main()
