import { Button, Card } from '@mantine/core';
import { IconMapPinOff } from '@tabler/icons-react';
import { Link } from 'react-router';
import { EmptyState } from '@/components/EmptyState';

export function NotFoundPage() {
  return (
    <Card mt="xl">
      <EmptyState
        icon={<IconMapPinOff size={26} />}
        title="Page not found"
        action={
          <Button component={Link} to="/">
            Go to the dashboard
          </Button>
        }
      >
        The page you're looking for doesn't exist or has moved.
      </EmptyState>
    </Card>
  );
}
