import { NavLink, ScrollArea, Stack, Text } from '@mantine/core';
import { IconChevronRight, IconExternalLink } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { Link, useLocation } from 'react-router';
import { isActive, JOBS_LINK, NAV, type NavFlags, type NavItem, useNavFlags, visibleItems } from './nav';
import classes from './AppLayout.module.css';

/** The left navigation: every section, grouped; staff also get Jobs. */
export function Navigation({ isStaff, onNavigate }: { isStaff: boolean; onNavigate: () => void }) {
  const { pathname } = useLocation();
  const flags = useNavFlags();

  return (
    <ScrollArea type="scroll" scrollbarSize={6} style={{ flex: 1 }}>
      <nav aria-label="Main">
        <Stack gap={2} p="sm" pb="lg">
          {NAV.map((section, i) => (
            <div key={section.title ?? i}>
              {section.title && <Text className={classes.sectionTitle}>{section.title}</Text>}
              <Stack gap={2}>
                {section.items.map((item) =>
                  item.children ? (
                    <ParentLink key={item.to} item={item} pathname={pathname} onNavigate={onNavigate} flags={flags} />
                  ) : (
                    <NavLink
                      key={item.to}
                      component={Link}
                      to={item.to}
                      label={item.label}
                      leftSection={<item.icon size={18} stroke={1.6} />}
                      active={isActive(pathname, item.to)}
                      className={classes.navLink}
                      onClick={onNavigate}
                    />
                  ),
                )}
              </Stack>
            </div>
          ))}
          {isStaff && (
            <div>
              <Text className={classes.sectionTitle}>Operations</Text>
              <NavLink
                component="a"
                href={JOBS_LINK.href}
                label={JOBS_LINK.label}
                description="River UI · staff only"
                leftSection={<JOBS_LINK.icon size={18} stroke={1.6} />}
                rightSection={<IconExternalLink size={14} stroke={1.6} />}
                className={classes.navLink}
              />
            </div>
          )}
        </Stack>
      </nav>
    </ScrollArea>
  );
}

function ParentLink({ item, pathname, onNavigate, flags }: { item: NavItem; pathname: string; onNavigate: () => void; flags: NavFlags }) {
  const within = isActive(pathname, item.to);
  // Groups open on their own pages and stay as the user leaves them.
  const [opened, setOpened] = useState(within);
  useEffect(() => {
    if (within) setOpened(true);
  }, [within]);
  return (
    <NavLink
      label={item.label}
      leftSection={<item.icon size={18} stroke={1.6} />}
      rightSection={<IconChevronRight size={14} stroke={1.6} style={{ transform: opened ? 'rotate(90deg)' : undefined, transition: 'transform 150ms' }} />}
      opened={opened}
      onChange={setOpened}
      className={classes.navLink}
      childrenOffset={28}
      disableRightSectionRotation
    >
      {visibleItems(item.children ?? [], flags).map((child) => (
        <NavLink
          key={child.to}
          component={Link}
          to={child.to}
          label={child.label}
          active={isActive(pathname, child.to, child.to === item.to)}
          className={classes.childLink}
          onClick={onNavigate}
        />
      ))}
    </NavLink>
  );
}
