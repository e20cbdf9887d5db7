"""Payment gateways: how online gifts are paid, confirmed and refunded."""
