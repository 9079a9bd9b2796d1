"""Customer profiles by userId (co-partitioned with orders.commands and carts.events)."""

from domain.users import UserProfile
from tables.store import JsonTable

user_profiles = JsonTable("user-profiles", UserProfile, "UserProfile by userId")
