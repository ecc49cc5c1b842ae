from signalseq.cli import main

main()
