"""DRF serializers of the API: the `CustomLog` contract, exports, feedback, documented answers."""
