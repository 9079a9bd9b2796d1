"""Payment records by orderId: a repeated command is answered from here, not the gateway."""

from domain.payments import PaymentRecord
from tables.store import JsonTable

payment_records = JsonTable("payment-records", PaymentRecord, "PaymentRecord by orderId")
