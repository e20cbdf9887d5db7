"""Giving beyond the payment gateways: a fund's own collection codes (收款码) reconciled with its
bills, 我要捐赠 buttons, share cards and QR posters for donation points and projects."""
