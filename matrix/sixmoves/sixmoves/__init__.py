"""sixmoves: uses six.moves, whose lazy modules live in sys.modules."""
TAG = "sixmoves@1"
